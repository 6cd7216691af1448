import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../shared/log.js";
import { formatBackupName, manifestNameFor, type Manifest } from "../../daemon/manifest.js";
import { pruneBackups } from "../../daemon/prune.js";
import { runBackup } from "../../daemon/run-backup.js";
import { configFor, makeWorkspace, seedDatabase, type Workspace } from "../support/backup-env.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(async () => ws.tmp.cleanup());

/** A small backup file with a manifest as the pipeline writes it; unverified without manifest. */
function placeBackup(time: Date, options: { verified?: boolean; database?: string } = {}): string {
  const file = formatBackupName(options.database ?? "tasks", time);
  const gzip = gzipSync(Buffer.from(`backup taken at ${time.toISOString()}`));
  writeFileSync(join(ws.dir, file), gzip);
  if (options.verified !== false) {
    const manifest: Manifest = {
      format: 1,
      file,
      database: { path: ws.db, name: options.database ?? "tasks" },
      createdAt: time.toISOString(),
      sqlite: { pageSize: 4096, pageCount: 1, userVersion: 0, version: "3" },
      tables: {},
      check: { kind: "quick", result: "ok" },
      uncompressed: { bytes: 1, sha256: "x" },
      compressed: { bytes: gzip.length, sha256: "x" },
      gzipLevel: 3,
      timings: {},
      host: "test",
      guardrailVersion: "test",
    };
    writeFileSync(join(ws.dir, manifestNameFor(file)), JSON.stringify(manifest));
  }
  return file;
}

function every(from: string, to: string, stepMs: number): Date[] {
  const times: Date[] = [];
  for (let t = Date.parse(from); t <= Date.parse(to); t += stepMs) times.push(new Date(t));
  return times;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function keptAfterPrune(
  timeZone: string,
  keep: { daily: number; weekly: number; monthly: number },
): Promise<string[]> {
  const result = await pruneBackups({ dir: ws.dir, db: ws.db, keep, timeZone });
  for (const file of result.deleted) {
    expect(existsSync(join(ws.dir, file))).toBe(false);
    expect(existsSync(join(ws.dir, manifestNameFor(file)))).toBe(false);
  }
  return readdirSync(ws.dir)
    .filter((file) => file.endsWith(".sqlite3.gz"))
    .sort();
}

const names = (isoTimes: string[]) =>
  isoTimes.map((time) => formatBackupName("tasks", new Date(time))).sort();

describe("prune", () => {
  it("keeps the newest backup of each of the last days, ISO weeks and months over months of daily backups", async () => {
    // Daily at 03:00 Madrid time (01:00Z in summer, 02:00Z in winter), July to mid November.
    for (const time of every("2026-07-01T01:00:00Z", "2026-10-24T01:00:00Z", DAY))
      placeBackup(time);
    for (const time of every("2026-10-25T02:00:00Z", "2026-11-15T02:00:00Z", DAY))
      placeBackup(time);

    const kept = await keptAfterPrune("Europe/Madrid", { daily: 7, weekly: 4, monthly: 3 });
    expect(kept).toEqual(
      names([
        // Days: Nov 9 to 15.
        ...every("2026-11-09T02:00:00Z", "2026-11-15T02:00:00Z", DAY).map((d) => d.toISOString()),
        // ISO weeks 45, 44, 43 (week 46 is Nov 15): their Sundays.
        "2026-11-08T02:00:00Z",
        "2026-11-01T02:00:00Z",
        "2026-10-25T02:00:00Z",
        // Months October and September (November is Nov 15): their last days.
        "2026-10-31T02:00:00Z",
        "2026-09-30T01:00:00Z",
      ]),
    );
  });

  it("counts days in Europe/Madrid across the autumn DST change, not in UTC", async () => {
    // Hourly; on Oct 25 Madrid falls back from UTC+2 to UTC+1.
    for (const time of every("2026-10-20T00:00:00Z", "2026-10-26T10:00:00Z", HOUR))
      placeBackup(time);
    const kept = await keptAfterPrune("Europe/Madrid", { daily: 3, weekly: 0, monthly: 0 });
    expect(kept).toEqual(
      names([
        "2026-10-26T10:00:00Z", // Oct 26
        "2026-10-25T22:00:00Z", // 23:00 CET, the last hour of Oct 25 (23:00Z is already Oct 26)
        "2026-10-24T21:00:00Z", // 23:00 CEST, the last hour of Oct 24
      ]),
    );
  });

  it("counts days in America/New_York across the spring DST change", async () => {
    // Hourly; on Mar 8 New York springs forward from UTC-5 to UTC-4.
    for (const time of every("2026-03-05T00:00:00Z", "2026-03-09T12:00:00Z", HOUR))
      placeBackup(time);
    const kept = await keptAfterPrune("America/New_York", { daily: 3, weekly: 0, monthly: 0 });
    expect(kept).toEqual(
      names([
        "2026-03-09T12:00:00Z", // Mar 9
        "2026-03-09T03:00:00Z", // 23:00 EDT, the last hour of Mar 8
        "2026-03-08T04:00:00Z", // 23:00 EST, the last hour of Mar 7
      ]),
    );
  });

  it("never deletes the newest verified backup, unverified backups, other databases' backups or other files", async () => {
    const old = every("2026-01-01T03:00:00Z", "2026-01-10T03:00:00Z", DAY).map((time) =>
      placeBackup(time),
    );
    const unverified = placeBackup(new Date("2026-01-11T03:00:00Z"), { verified: false });
    const other = placeBackup(new Date("2026-01-01T03:00:00Z"), { database: "billing" });
    writeFileSync(join(ws.dir, "notes.txt"), "mine");
    writeFileSync(join(ws.dir, "tasks-backup-by-hand.sqlite3.gz"), "mine too");

    const kept = await keptAfterPrune("UTC", { daily: 0, weekly: 0, monthly: 0 });
    expect(kept).toEqual(
      [old.at(-1)!, unverified, other, "tasks-backup-by-hand.sqlite3.gz"].sort(),
    );
    expect(existsSync(join(ws.dir, "notes.txt"))).toBe(true);
  });

  it("says in a dry run what would go and why, and deletes nothing", async () => {
    const files = every("2026-01-01T03:00:00Z", "2026-01-05T03:00:00Z", DAY).map((time) =>
      placeBackup(time),
    );
    const before = readdirSync(ws.dir).sort();
    const result = await pruneBackups({
      dir: ws.dir,
      db: ws.db,
      keep: { daily: 2, weekly: 0, monthly: 0 },
      timeZone: "UTC",
      dryRun: true,
    });
    expect(readdirSync(ws.dir).sort()).toEqual(before);
    expect(result.deleted.sort()).toEqual(files.slice(0, 3).sort());
    for (const decision of result.decisions) expect(decision.reasons.length).toBeGreaterThan(0);
  });

  it("does not prune after a failed run", async () => {
    const old = every("2026-01-01T03:00:00Z", "2026-01-10T03:00:00Z", DAY).map((time) =>
      placeBackup(time),
    );
    seedDatabase(ws.db, 1);
    const config = configFor({ ...ws.env, BACKUP_KEEP_DAILY: "1", BACKUP_KEEP_WEEKLY: "0" });
    writeFileSync(
      ws.db,
      "this is not a database any more, and it is long enough to be read".repeat(100),
    );
    const result = await runBackup({ config, logger: createLogger({ level: "silent" }) });
    expect(result.outcome).toBe("failed");
    expect(result.after).toEqual([]);
    expect(
      readdirSync(ws.dir)
        .filter((file) => file.endsWith(".gz"))
        .sort(),
    ).toEqual(old.sort());
  });

  it("prunes after a successful run, keeping the new backup", async () => {
    every("2026-01-01T03:00:00Z", "2026-01-10T03:00:00Z", DAY).map((time) => placeBackup(time));
    seedDatabase(ws.db, 5);
    const config = configFor({ ...ws.env, BACKUP_KEEP_DAILY: "1", BACKUP_KEEP_WEEKLY: "0" });
    const result = await runBackup({ config, logger: createLogger({ level: "silent" }) });
    expect(result.outcome, result.error).toBe("ok");
    expect(result.after).toEqual([
      { name: "prune", outcome: "ok", details: { deleted: expect.any(Array) } },
    ]);
    expect(readdirSync(ws.dir).filter((file) => file.endsWith(".gz"))).toEqual([result.file]);
  });
});
