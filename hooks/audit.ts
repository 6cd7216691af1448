// The audit trail: one JSON line per push, appended to a file in the repository directory.
import { join } from "node:path";
import { createLogger, Field, fileDestination } from "../shared/log.js";
import type { Bypass, PushContext, PushPlan } from "./policy.js";
import type { RefChange } from "./refs.js";
import type { CommitVerdict } from "./verify-commit.js";

export const AUDIT_FILE = "guardrail-audit.log";

export interface AuditRecord {
  pusher: string | undefined;
  refs: {
    ref: string;
    old: string;
    new: string;
    change: RefChange;
    action: string;
    reason?: string;
  }[];
  verdict: "accepted" | "refused";
  mode: string;
  bypass: Bypass | undefined;
  tested: { sha: string; ok: boolean; failure?: string; tests?: number; durationMs: number }[];
  durationMs: number;
  error?: string;
}

/** Appends `record` to the audit log; throws when it cannot be written (the caller fails closed). */
export function appendAudit(repoDir: string, record: AuditRecord): void {
  const destination = fileDestination(join(repoDir, AUDIT_FILE));
  const log = createLogger(
    { level: "info", base: { [Field.component]: "push-gate" } },
    destination,
  );
  log.info(record, "push checked");
}

/** The audit line for a push, from its plan and the verdicts of the commits tested. */
export function buildAuditRecord(
  plan: PushPlan,
  context: PushContext,
  verdicts: CommitVerdict[],
  accepted: boolean,
  mode: string,
  started: number,
): AuditRecord {
  return {
    pusher: context.pusher,
    refs: plan.decisions.map(({ update, action }) => ({
      ref: update.ref,
      old: update.oldSha,
      new: update.newSha,
      change: update.change,
      action: action.kind,
      ...(action.kind === "test" ? {} : { reason: action.reason }),
    })),
    verdict: accepted ? "accepted" : "refused",
    mode,
    bypass: plan.bypass.requested ? plan.bypass : undefined,
    tested: verdicts.map((verdict) => ({
      sha: verdict.sha,
      ok: verdict.ok,
      ...(verdict.ok ? {} : { failure: verdict.kind }),
      ...(verdict.counts ? { tests: verdict.counts.tests } : {}),
      durationMs: verdict.durationMs,
    })),
    durationMs: Date.now() - started,
  };
}
