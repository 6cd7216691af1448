import { mkdirSync, writeFileSync, existsSync, chmodSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, maskValue } from "../../daemon/config.js";
import {
  configProblems,
  makeWorkspace,
  seedDatabase,
  type Workspace,
} from "../support/backup-env.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await makeWorkspace();
  seedDatabase(ws.db, 1);
});
afterEach(async () => ws.tmp.cleanup());

const problemsOf = (env: Record<string, string>) => configProblems(env);

describe("configuration", () => {
  it("fills every default from BACKUP_DB alone and creates the backups folder beside it", () => {
    const config = loadConfig({ BACKUP_DB: ws.db });
    expect(config).toMatchObject({
      db: ws.db,
      dir: join(ws.db, "..", "backups"),
      schedule: "0 3 * * *",
      timeZone: "UTC",
      keep: { daily: 7, weekly: 4, monthly: 0 },
      gzipLevel: 3,
      check: "quick",
      port: 9090,
      timeoutMs: 30 * 60_000,
      graceMs: 60_000,
      maxAgeMs: 25 * 3_600_000,
    });
  });

  it("lists every bad variable together, each named with what is allowed", () => {
    const problems = problemsOf({
      BACKUP_DB: ws.db,
      BACKUP_SCHEDULE: "every night",
      TZ: "Mars/Olympus_Mons",
      BACKUP_KEEP_DAILY: "-1",
      BACKUP_KEEP_WEEKLY: "four",
      BACKUP_GZIP_LEVEL: "12",
      BACKUP_CHECK: "deep",
      BACKUP_MAX_AGE: "soon",
      BACKUP_PORT: "70000",
      BACKUP_TIMEOUT: "0",
    });
    const named = [
      "BACKUP_SCHEDULE",
      "TZ",
      "BACKUP_KEEP_DAILY",
      "BACKUP_KEEP_WEEKLY",
      "BACKUP_GZIP_LEVEL",
      "BACKUP_CHECK",
      "BACKUP_MAX_AGE",
      "BACKUP_PORT",
      "BACKUP_TIMEOUT",
    ];
    expect(problems).toHaveLength(named.length);
    for (const name of named)
      expect(problems.some((problem) => problem.startsWith(name))).toBe(true);
    expect(problems.find((problem) => problem.startsWith("BACKUP_GZIP_LEVEL"))).toMatch(/1 .* 9/);
  });

  it("requires BACKUP_DB", () => {
    expect(problemsOf({})).toEqual([expect.stringMatching(/^BACKUP_DB is required/)]);
  });

  it("refuses a missing database without creating it", () => {
    const missing = join(ws.tmp.path, "nope", "tasks.db");
    const problems = problemsOf({ BACKUP_DB: missing, BACKUP_DIR: ws.dir });
    expect(problems).toEqual([
      expect.stringMatching(/^BACKUP_DB: .*nope\/tasks\.db does not exist/),
    ]);
    expect(existsSync(missing)).toBe(false);
  });

  it("refuses a backup folder that cannot be created or written", () => {
    const file = join(ws.tmp.path, "a-file");
    writeFileSync(file, "");
    expect(problemsOf({ BACKUP_DB: ws.db, BACKUP_DIR: join(file, "backups") })).toEqual([
      expect.stringMatching(/^BACKUP_DIR: .*cannot be created: .*a-file is a file, not a folder/),
    ]);
    if (process.getuid?.() !== 0) {
      // Root writes anywhere; the permission case can only be shown as another user.
      const locked = join(ws.tmp.path, "locked");
      mkdirSync(locked, { mode: 0o500 });
      chmodSync(locked, 0o500);
      expect(problemsOf({ BACKUP_DB: ws.db, BACKUP_DIR: locked })).toEqual([
        expect.stringMatching(/^BACKUP_DIR: .*not writable/),
      ]);
    }
  });

  it("says a BACKUP_DIR that is a regular file is a file, not a folder (not EEXIST)", () => {
    const file = join(ws.tmp.path, "a-file");
    writeFileSync(file, "");
    expect(problemsOf({ BACKUP_DB: ws.db, BACKUP_DIR: file })).toEqual([
      `BACKUP_DIR: ${file} is a file, not a folder; point BACKUP_DIR at a folder`,
    ]);
  });

  it("creates no folder at all when the configuration is invalid (missing database's folder)", () => {
    const db = join(ws.tmp.path, "x", "deeper", "missing.db");
    expect(problemsOf({ BACKUP_DB: db })).toEqual([
      expect.stringMatching(/^BACKUP_DB: .*missing\.db does not exist/),
    ]);
    expect(existsSync(join(ws.tmp.path, "x"))).toBe(false);
    const dir = join(ws.tmp.path, "new-backups");
    problemsOf({ BACKUP_DB: ws.db, BACKUP_DIR: dir, BACKUP_CHECK: "deep" });
    problemsOf({ BACKUP_DB: ws.db, BACKUP_DIR: dir, BACKUP_SSH_KEY: "/no/such/key" });
    expect(existsSync(dir)).toBe(false);
  });

  it("creates a missing BACKUP_DIR, with its missing parents, once everything else is right", () => {
    const dir = join(ws.tmp.path, "a", "b", "backups");
    expect(loadConfig({ BACKUP_DB: ws.db, BACKUP_DIR: dir }).dir).toBe(dir);
    expect(existsSync(dir)).toBe(true);
  });

  it("names an unknown BACKUP_* variable and the closest known one", () => {
    expect(
      problemsOf({ BACKUP_DB: ws.db, BACKUP_KEEP_DAYLY: "3", BACKUP_FOO_BAR_BAZ: "1" }),
    ).toEqual([
      "BACKUP_KEEP_DAYLY is not a variable guardrail-backup reads; did you mean BACKUP_KEEP_DAILY?",
      "BACKUP_FOO_BAR_BAZ is not a variable guardrail-backup reads",
    ]);
  });

  it("refuses durations without a unit, naming the variable and the units", () => {
    expect(
      problemsOf({ BACKUP_DB: ws.db, BACKUP_MAX_AGE: "1", BACKUP_DRILL_TIMEOUT: "600" }),
    ).toEqual([
      "BACKUP_MAX_AGE needs a unit: write 1s, 1m, 1h or 1d (s, m, h, d)",
      "BACKUP_DRILL_TIMEOUT needs a unit: write 600s, 600m, 600h or 600d (s, m, h, d)",
    ]);
  });

  it("refuses a 6-field (seconds) cron schedule that the minute scheduler would never honour", () => {
    const problems = problemsOf({ BACKUP_DB: ws.db, BACKUP_SCHEDULE: "*/1 * * * * *" });
    expect(problems).toEqual([
      expect.stringMatching(/^BACKUP_SCHEDULE has 6 fields; write 5 .*seconds are not supported/),
    ]);
  });

  it("derives the default maximum age from the schedule", () => {
    expect(loadConfig({ BACKUP_DB: ws.db, BACKUP_SCHEDULE: "0 */6 * * *" }).maxAgeMs).toBe(
      7 * 3_600_000,
    );
    expect(loadConfig({ BACKUP_DB: ws.db, BACKUP_MAX_AGE: "90m" }).maxAgeMs).toBe(90 * 60_000);
  });

  it("masks secrets by variable name: URL credentials and queries, tokens and passwords", () => {
    expect(maskValue("BACKUP_REPLICA_URL", "https://user:hunter2@example.com/b?sig=abc")).toBe(
      "https://***:***@example.com/b?***",
    );
    expect(maskValue("BACKUP_ALERT_TOKEN", "abc123")).toBe("***");
    expect(maskValue("BACKUP_SMTP_PASSWORD", "abc123")).toBe("***");
    expect(maskValue("BACKUP_SSH_KEY", "/run/secrets/key")).toBe("/run/secrets/key");
    expect(maskValue("BACKUP_DIR", "/data/backups")).toBe("/data/backups");
  });
});
