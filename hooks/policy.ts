// Which refs of a push are tested, which pass at once and which are refused, decided before any
// pushed code runs. Pure: everything it needs comes in as arguments.
import { InternalError } from "../shared/errors.js";
import type { HookConfig } from "./config.js";
import { branchOf, type RefUpdate } from "./refs.js";

export interface PushContext {
  /** Forgejo's GITEA_PUSHER_NAME; undefined for a plain git server. */
  pusher: string | undefined;
  /** Forgejo's GITEA_INTERNAL_PUSH=true: merges and edits made by Forgejo itself. */
  internal: boolean;
  /** The values given with `git push -o`. */
  pushOptions: string[];
}

export type RefAction =
  | { kind: "pass"; reason: string }
  | { kind: "test"; sha: string }
  | { kind: "refuse"; reason: string };

export interface RefDecision {
  update: RefUpdate;
  action: RefAction;
}

export interface Bypass {
  requested: boolean;
  honoured: boolean;
  reason: string | undefined;
}

export interface PushPlan {
  /** One decision per ref, sorted by ref name so that ref order never changes the outcome. */
  decisions: RefDecision[];
  bypass: Bypass;
  /** Lines for the pusher about how the plan was made (an ignored bypass, say). */
  notes: string[];
}

const SKIP_OPTION = "guardrail.skip";
const NO_BYPASS: Bypass = { requested: false, honoured: false, reason: undefined };

/** Decides what happens to each ref of a push. */
export function planPush(
  updates: RefUpdate[],
  config: HookConfig | undefined,
  context: PushContext,
): PushPlan {
  const bypass = config ? readBypass(config, context) : NO_BYPASS;
  const notes: string[] = [];
  if (bypass.requested && !bypass.honoured) {
    notes.push(
      `-o ${SKIP_OPTION} ignored: ${context.pusher ?? "this pusher"} is not in guardrail.allowSkip`,
    );
  }

  const offBranches = updates.filter(
    (update) => config?.mode === "off" && isProtected(update.ref, config.branch),
  );
  if (offBranches.length > 0) {
    const names = offBranches.map((update) => branchOf(update.ref)).join(", ");
    notes.push(`guardrail.mode is off: ${names} not tested`);
  }

  const sorted = [...updates].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  const decisions = sorted.map((update) => ({
    update,
    action: decide(update, config, context, bypass),
  }));
  return { decisions, bypass, notes };
}

function decide(
  update: RefUpdate,
  config: HookConfig | undefined,
  context: PushContext,
  bypass: Bypass,
): RefAction {
  if (context.internal) return { kind: "pass", reason: "internal Forgejo push" };
  if (!config) throw new InternalError("a push that is not internal was planned without config");
  if (config.mode === "off") return { kind: "pass", reason: "guardrail.mode is off" };
  if (!isProtected(update.ref, config.branch)) {
    return { kind: "pass", reason: "not a protected branch" };
  }

  const branch = branchOf(update.ref);
  if (config.pushers.length > 0 && !config.pushers.includes(context.pusher ?? "")) {
    return {
      kind: "refuse",
      reason: `${context.pusher ?? "an unknown pusher"} may not push to ${branch} (guardrail.pushers)`,
    };
  }
  if (update.change === "delete") {
    return config.allowDelete
      ? { kind: "pass", reason: "deletion allowed by guardrail.allowDelete" }
      : {
          kind: "refuse",
          reason: `deleting protected branch ${branch} is not allowed (set guardrail.allowDelete to allow it)`,
        };
  }
  if (bypass.honoured) {
    return { kind: "pass", reason: `tests skipped with -o ${SKIP_OPTION} by ${context.pusher}` };
  }
  return { kind: "test", sha: update.newSha };
}

/** True when `ref` is a branch matching one of the patterns (`main`, `release/*`, `refs/heads/x`). */
export function isProtected(ref: string, patterns: readonly string[]): boolean {
  const branch = branchOf(ref);
  if (branch === undefined) return false;
  return patterns.some((pattern) =>
    globToRegExp(pattern.replace(/^refs\/heads\//, "")).test(branch),
  );
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split(/(\*\*|\*)/)
    .map((part) => (part === "**" ? ".*" : part === "*" ? "[^/]*" : escapeRegExp(part)))
    .join("");
  return new RegExp(`^${body}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function readBypass(config: HookConfig, context: PushContext): Bypass {
  const option = context.pushOptions.find(
    (value) => value === SKIP_OPTION || value.startsWith(`${SKIP_OPTION}=`),
  );
  if (option === undefined) return NO_BYPASS;

  const reason = option.includes("=") ? option.slice(option.indexOf("=") + 1) : undefined;
  const honoured = context.pusher !== undefined && config.allowSkip.includes(context.pusher);
  return { requested: true, honoured, reason };
}

/** What Forgejo (or plain git) tells the hook about the push through its environment. */
export function readPushContext(env: NodeJS.ProcessEnv): PushContext {
  const count = Number(env.GIT_PUSH_OPTION_COUNT ?? 0);
  const pushOptions: string[] = [];
  for (let i = 0; i < count; i++) {
    const value = env[`GIT_PUSH_OPTION_${i}`];
    if (value !== undefined) pushOptions.push(value);
  }
  return {
    pusher: env.GITEA_PUSHER_NAME || undefined,
    internal: env.GITEA_INTERNAL_PUSH === "true",
    pushOptions,
  };
}
