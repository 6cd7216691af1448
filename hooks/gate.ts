// The push gate, top to bottom: read the refs, decide what to test, test each gated commit
// once, and reach one verdict for the whole push.
import { buildAuditRecord, type AuditRecord } from "./audit.js";
import { readHookConfig, type HookConfig } from "./config.js";
import { planPush, readPushContext, type PushPlan } from "./policy.js";
import { branchOf, parseRefUpdates } from "./refs.js";
import { formatFailure, formatPass, shortReason } from "./report.js";
import type { Say } from "./say.js";
import type { CommitVerdict } from "./verify-commit.js";

export interface GateInput {
  /** The repository's git directory (the hook's working directory). */
  repoDir: string;
  /** The ref lines git wrote to the hook's stdin. */
  stdin: string;
  env: NodeJS.ProcessEnv;
  say: Say;
  signal: AbortSignal;
}

export interface GateResult {
  accepted: boolean;
  audit: AuditRecord;
}

/**
 * Runs the gate for one push. Resolves with the verdict; throws for anything unexpected (bad
 * input, bad config, git failing), which the entry point turns into a refusal: fail closed.
 */
export async function runGate(input: GateInput): Promise<GateResult> {
  const started = Date.now();
  const updates = parseRefUpdates(input.stdin);
  const context = readPushContext(input.env);

  // Forgejo's own merges and web edits pass without reading any configuration.
  if (context.internal) {
    const plan = planPush(updates, undefined, context);
    return {
      accepted: true,
      audit: buildAuditRecord(plan, context, [], true, "internal", started),
    };
  }

  const config = await readHookConfig(input.repoDir);
  const plan = planPush(updates, config, context);
  for (const note of plan.notes) input.say(note);
  const refusals = plan.decisions.flatMap(({ update, action }) =>
    action.kind === "refuse" ? [{ ref: update.ref, reason: action.reason }] : [],
  );
  for (const refusal of refusals) input.say(`✗ ${refusal.ref}: ${refusal.reason}`);

  // A refusal decided by policy stands whatever the tests say, so in enforce mode no pushed
  // code runs at all.
  const enforce = config.mode === "enforce";
  const verdicts =
    enforce && refusals.length > 0 ? [] : await testGatedCommits(plan, config, input);
  const failures = verdicts.filter((verdict) => !verdict.ok);
  const accepted = !enforce || (refusals.length === 0 && failures.length === 0);

  if (plan.bypass.honoured) {
    input.say(`⚠ tests skipped with -o guardrail.skip by ${context.pusher}; this is logged`);
  }
  const firstFailure = failures[0];
  if (!accepted) {
    const reason =
      firstFailure && !firstFailure.ok ? shortReason(firstFailure) : refusals[0]?.reason;
    input.say(`push refused: ${reason ?? "refused"}`);
  } else if (refusals.length > 0 || failures.length > 0) {
    input.say("push accepted anyway: guardrail.mode is warn");
  }

  const audit = buildAuditRecord(plan, context, verdicts, accepted, config.mode, started);
  return { accepted, audit };
}

/**
 * Tests each distinct gated commit once, in ref-name order. In enforce mode the first failure
 * ends the run (the push is refused whatever the rest would show); in warn mode all are tested.
 */
async function testGatedCommits(
  plan: PushPlan,
  config: HookConfig,
  input: GateInput,
): Promise<CommitVerdict[]> {
  const branchesBySha = new Map<string, string[]>();
  for (const { update, action } of plan.decisions) {
    if (action.kind !== "test") continue;
    const branches = branchesBySha.get(action.sha) ?? [];
    branches.push(branchOf(update.ref) ?? update.ref);
    branchesBySha.set(action.sha, branches);
  }
  if (branchesBySha.size === 0) return [];

  // Loaded only when something is tested: a push that gates nothing stays fast.
  const { verifyCommit } = await import("./verify-commit.js");
  const { sweepStaleWorkspaces } = await import("./workspace.js");
  await sweepStaleWorkspaces();
  const deadline = Date.now() + config.timeout * 1000;
  const canBypass = config.allowSkip.includes(readPushContext(input.env).pusher ?? "");
  const verdicts: CommitVerdict[] = [];

  for (const [sha, branches] of branchesBySha) {
    const verdict = await verifyCommit({
      repoDir: input.repoDir,
      sha,
      config,
      deadline,
      say: input.say,
      signal: input.signal,
    });
    verdicts.push(verdict);

    if (verdict.ok) {
      input.say(formatPass(verdict, branches));
    } else {
      for (const line of formatFailure(verdict, branches, config, canBypass)) input.say(line);
      if (config.mode === "enforce") break;
    }
  }
  return verdicts;
}
