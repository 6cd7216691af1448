// /health: the truth about the backups, for a probe. Unhealthy (503) when there is no verified
// backup younger than BACKUP_MAX_AGE, or when the last run failed.
import { describeError } from "../shared/errors.js";
import type { BackupConfig } from "./config.js";
import { formatDuration, formatDurationSetting } from "./duration.js";
import type { BackupResult } from "./run-backup.js";

export interface Health {
  healthy: boolean;
  /** Why it is unhealthy; empty when healthy. */
  problems: string[];
  lastGoodBackup: string | null;
  lastGoodAgeSeconds: number | null;
  maxAgeSeconds: number;
  lastRun: { outcome: string; at: string; step?: string; error?: string } | null;
  running: boolean;
  nextRun: string | null;
}

/** Judges health from the folder (the newest verified backup) and the last run of this process. */
export async function judgeHealth(input: {
  config: BackupConfig;
  lastGood: () => Promise<Date | undefined>;
  lastResult: BackupResult | undefined;
  nextRun: Date | undefined;
  running: boolean;
  now?: Date;
}): Promise<Health> {
  const now = input.now ?? new Date();
  const problems: string[] = [];
  // A folder that cannot be read (an unmounted volume) is a problem to report, not a crash.
  const good = await input.lastGood().catch((error: unknown) => {
    problems.push(`BACKUP_DIR (${input.config.dir}) cannot be read: ${describeError(error)}`);
    return null;
  });
  const ageMs = good ? now.getTime() - good.getTime() : undefined;

  if (good === undefined) problems.push("no verified backup yet");
  else if (ageMs !== undefined && ageMs > input.config.maxAgeMs) {
    problems.push(
      `the newest verified backup is ${formatDuration(ageMs)} old, older than BACKUP_MAX_AGE (${formatDurationSetting(input.config.maxAgeMs)})`,
    );
  }
  const last = input.lastResult;
  // A failed run stops counting once a newer verified backup exists (say, a manual `once`).
  const superseded = last !== undefined && good != null && good >= last.startedAt;
  if (last?.outcome === "failed" && !superseded) {
    problems.push(`the last backup failed at ${last.failedStep}: ${last.error}`);
  }

  return {
    healthy: problems.length === 0,
    problems,
    lastGoodBackup: good?.toISOString() ?? null,
    lastGoodAgeSeconds: ageMs === undefined ? null : Math.round(ageMs / 1000),
    maxAgeSeconds: Math.round(input.config.maxAgeMs / 1000),
    lastRun: last
      ? {
          outcome: last.outcome,
          at: last.startedAt.toISOString(),
          step: last.failedStep,
          error: last.error,
        }
      : null,
    running: input.running,
    nextRun: input.nextRun?.toISOString() ?? null,
  };
}
