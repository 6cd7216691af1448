import { describe, expect, test } from "vitest";
import type { BackupConfig } from "../../daemon/config.js";
import { judgeHealth } from "../../daemon/health.js";
import type { BackupResult } from "../../daemon/run-backup.js";

const HOUR = 3_600_000;
const now = new Date("2026-12-03T12:00:00Z");
const config = { maxAgeMs: 25 * HOUR } as BackupConfig;

function failedRun(at: Date): BackupResult {
  return {
    outcome: "failed",
    db: "/app/data/tasks.db",
    startedAt: at,
    durationMs: 10,
    timings: {},
    failedStep: "snapshot",
    error: "database disk image is malformed",
    after: [],
  };
}

function judge(lastGood: Date | undefined, lastResult: BackupResult | undefined) {
  return judgeHealth({
    config,
    lastGood: async () => lastGood,
    lastResult,
    nextRun: undefined,
    running: false,
    now,
  });
}

describe("judgeHealth", () => {
  test("is healthy with a fresh verified backup and no failed run", async () => {
    const health = await judge(new Date(now.getTime() - HOUR), undefined);
    expect(health).toMatchObject({ healthy: true, problems: [], lastGoodAgeSeconds: 3600 });
  });

  test("is unhealthy with no backup, or one older than BACKUP_MAX_AGE", async () => {
    expect((await judge(undefined, undefined)).problems).toEqual(["no verified backup yet"]);
    const old = await judge(new Date(now.getTime() - 26 * HOUR), undefined);
    expect(old.healthy).toBe(false);
    expect(old.problems).toEqual([
      "the newest verified backup is 26h 0m old, older than BACKUP_MAX_AGE (25h)",
    ]);
  });

  test("is unhealthy after a failed run, naming the step", async () => {
    const health = await judge(
      new Date(now.getTime() - 2 * HOUR),
      failedRun(new Date(now.getTime() - HOUR)),
    );
    expect(health.healthy).toBe(false);
    expect(health.problems).toEqual([
      "the last backup failed at snapshot: database disk image is malformed",
    ]);
  });

  test("is healthy again once a newer verified backup exists, e.g. from a manual once", async () => {
    const failed = failedRun(new Date(now.getTime() - 2 * HOUR));
    const health = await judge(new Date(now.getTime() - HOUR), failed);
    expect(health.healthy).toBe(true);
    expect(health.lastRun?.outcome).toBe("failed");
  });
});
