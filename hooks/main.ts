// Entry point of the compiled pre-receive hook: read what git hands over, run the gate, write
// the audit line, and exit 0 to accept or 1 to refuse. Anything unexpected refuses: fail closed.
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describeError, GuardrailError } from "../shared/errors.js";
import { AUDIT_FILE, appendAudit, type AuditRecord } from "./audit.js";
import { runGate } from "./gate.js";
import { parseRefUpdates } from "./refs.js";
import { createSay } from "./say.js";

const VERSION = "0.1.0";

async function main(): Promise<number> {
  const say = createSay();
  const repoDir = resolve(process.env.GIT_DIR ?? ".");

  // `scripts/install-hook` runs the installed hook this way to prove that it really runs.
  if (process.env.GUARDRAIL_CANARY === "1") {
    say(`canary: push gate ${VERSION} runs in ${repoDir}`);
    return 0;
  }

  const controller = new AbortController();
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    process.on(signal, () => controller.abort());
  }

  const started = Date.now();
  let stdin = "";
  try {
    stdin = await readStdin();
    const result = await runGate({
      repoDir,
      stdin,
      env: process.env,
      say,
      signal: controller.signal,
    });
    writeAuditOrExplain(repoDir, result.audit);
    return result.accepted ? 0 : 1;
  } catch (error) {
    say(`push refused: the push gate could not check this push: ${describeError(error)}`);
    say(`fix: ${fixFor(error)}`);
    try {
      appendAudit(repoDir, {
        pusher: process.env.GITEA_PUSHER_NAME,
        refs: refsForAudit(stdin),
        verdict: "refused",
        mode: "error",
        bypass: undefined,
        tested: [],
        durationMs: Date.now() - started,
        error: describeError(error),
      });
    } catch {
      // The refusal stands; a log that cannot be written must not turn it into an acceptance.
    }
    return 1;
  }
}

/** Writes the audit line; a push cannot be accepted without its record. */
function writeAuditOrExplain(repoDir: string, record: AuditRecord): void {
  try {
    appendAudit(repoDir, record);
  } catch (error) {
    const file = join(repoDir, AUDIT_FILE);
    throw new GuardrailError(
      `the verdict was ${record.verdict}, but the audit log ${file} cannot be written`,
      { cause: error, hint: `make ${file} a file the git user can append to` },
    );
  }
}

/** The refs of a push that failed before it was planned, for its audit line. */
function refsForAudit(stdin: string): AuditRecord["refs"] {
  try {
    return parseRefUpdates(stdin).map((update) => ({
      ref: update.ref,
      old: update.oldSha,
      new: update.newSha,
      change: update.change,
      action: "error",
    }));
  } catch {
    return [];
  }
}

function fixFor(error: unknown): string {
  if (/ENOSPC|no space left/i.test(describeError(error))) {
    return `free disk space in ${tmpdir()} (or point TMPDIR elsewhere) on the git server`;
  }
  if (error instanceof GuardrailError && error.hint) return error.hint;
  return `ask the server's admin to check the push gate (its log: ${AUDIT_FILE} in the repository)`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

void main().then((code) => {
  process.exitCode = code;
});
