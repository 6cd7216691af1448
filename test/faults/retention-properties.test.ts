// Property-based tests of retention: for any set of backup times, any policy and any time zone,
// the rule in docs/retention.md holds. The model below is written from that page alone (group by
// calendar bucket, order buckets by their newest backup, keep the newest of the first N), not
// from retention.ts's walk; a sample of cases also runs the real prune on a real folder.
import fc from "fast-check";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dir } from "tmp-promise";
import { describe, expect, it } from "vitest";
import { formatBackupName, manifestNameFor, type Manifest } from "../../daemon/manifest.js";
import { pruneBackups } from "../../daemon/prune.js";
import { planRetention, type RetentionRule } from "../../daemon/retention.js";

const ZONES = Intl.supportedValuesOf("timeZone");
const MINUTE = 60_000;

interface Generated {
  file: string;
  time: Date;
  sequence: number;
  verified: boolean;
}

/** Backups clustered in a window of up to ~2 years, so days, weeks and months repeat. */
const history = fc
  .record({
    start: fc.integer({ min: Date.UTC(2000, 0, 1) / MINUTE, max: Date.UTC(2045, 0, 1) / MINUTE }),
    span: fc.constantFrom(3 * 60, 3 * 1440, 40 * 1440, 700 * 1440),
    backups: fc.array(
      fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), verified: fc.boolean() }),
      { maxLength: 40 },
    ),
  })
  .map(({ start, span, backups }): Generated[] => {
    const used = new Map<number, number>();
    return backups.map(({ at, verified }) => {
      const minute = (start + Math.floor(at * span)) * MINUTE;
      const sequence = (used.get(minute) ?? 0) + 1;
      used.set(minute, sequence);
      const time = new Date(minute);
      return { file: formatBackupName("tasks", time, sequence), time, sequence, verified };
    });
  });

const rule = fc.record({
  daily: fc.integer({ min: 0, max: 8 }),
  weekly: fc.integer({ min: 0, max: 5 }),
  monthly: fc.integer({ min: 0, max: 4 }),
});
const zone = fc.constantFrom(...ZONES);

/** Local calendar fields by a different route than retention.ts: the sv-SE date format. */
function localDate(time: Date, timeZone: string): { y: number; m: number; d: number } {
  const text = time.toLocaleDateString("sv-SE", { timeZone }); // "2026-06-30"
  const [y, m, d] = text.split("-").map(Number);
  return { y: y!, m: m!, d: d! };
}

/** ISO week by the textbook rule: week 1 holds the year's first Thursday. */
function isoWeekOf({ y, m, d }: { y: number; m: number; d: number }): string {
  const day = new Date(Date.UTC(y, m - 1, d));
  const weekday = day.getUTCDay() || 7; // Monday 1 .. Sunday 7
  day.setUTCDate(day.getUTCDate() + 4 - weekday); // the Thursday of that week
  const year = day.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 1));
  while (firstThursday.getUTCDay() !== 4) firstThursday.setUTCDate(firstThursday.getUTCDate() + 1);
  const week = 1 + Math.round((day.getTime() - firstThursday.getTime()) / (7 * 86_400_000));
  return `${year}-W${week}`;
}

/** The files docs/retention.md says are kept. */
function modelKept(backups: Generated[], keep: RetentionRule, timeZone: string): Set<string> {
  const newerFirst = (a: Generated, b: Generated) =>
    b.time.getTime() - a.time.getTime() || b.sequence - a.sequence;
  const verified = backups.filter((b) => b.verified).sort(newerFirst);
  const kept = new Set(backups.filter((b) => !b.verified).map((b) => b.file));
  if (verified[0]) kept.add(verified[0].file);

  const keys = {
    daily: (b: Generated) => JSON.stringify(localDate(b.time, timeZone)),
    weekly: (b: Generated) => isoWeekOf(localDate(b.time, timeZone)),
    monthly: (b: Generated) => {
      const { y, m } = localDate(b.time, timeZone);
      return `${y}-${m}`;
    },
  };
  for (const period of ["daily", "weekly", "monthly"] as const) {
    const newestOfBucket = new Map<string, Generated>();
    for (const b of verified) {
      const key = keys[period](b);
      if (!newestOfBucket.has(key)) newestOfBucket.set(key, b); // `verified` is newest first
    }
    const buckets = [...newestOfBucket.values()].sort(newerFirst);
    for (const b of buckets.slice(0, keep[period])) kept.add(b.file);
  }
  return kept;
}

function planKept(backups: Generated[], keep: RetentionRule, timeZone: string): Set<string> {
  const decisions = planRetention(backups, keep, timeZone);
  return new Set(decisions.filter((d) => d.keep).map((d) => d.file));
}

describe("retention, for any backup times, policy and time zone", () => {
  it("keeps exactly the set docs/retention.md describes", () => {
    fc.assert(
      fc.property(history, rule, zone, (backups, keep, timeZone) => {
        expect(planKept(backups, keep, timeZone)).toEqual(modelKept(backups, keep, timeZone));
      }),
      { numRuns: 400 },
    );
  });

  it("always keeps the newest verified backup and every unverified one", () => {
    fc.assert(
      fc.property(history, rule, zone, (backups, keep, timeZone) => {
        const kept = planKept(backups, keep, timeZone);
        const verified = backups.filter((b) => b.verified);
        const newest = verified.sort(
          (a, b) => b.time.getTime() - a.time.getTime() || b.sequence - a.sequence,
        )[0];
        if (newest) expect(kept).toContain(newest.file);
        for (const b of backups.filter((b) => !b.verified)) expect(kept).toContain(b.file);
      }),
      { numRuns: 400 },
    );
  });

  it("gives the same result whatever the order of the backups, and pruning twice equals once", () => {
    fc.assert(
      fc.property(history, rule, zone, fc.integer(), (backups, keep, timeZone, seed) => {
        const once = planKept(backups, keep, timeZone);
        const shuffled = [...backups].sort(
          (a, b) => hash(`${seed}${a.file}`) - hash(`${seed}${b.file}`),
        );
        expect(planKept(shuffled, keep, timeZone)).toEqual(once);
        const survivors = backups.filter((b) => once.has(b.file));
        expect(planKept(survivors, keep, timeZone)).toEqual(once);
      }),
      { numRuns: 300 },
    );
  });
});

describe("prune on a real folder, for a sample of histories", () => {
  it("deletes only what the rule gives up, never a file that is not ours, and a second prune deletes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(history, rule, zone, async (backups, keep, timeZone) => {
        const tmp = await dir({ unsafeCleanup: true });
        try {
          const folder = join(tmp.path, "backups");
          mkdirSync(folder);
          for (const b of backups) placeBackup(folder, b);
          const foreign = placeForeignFiles(folder, tmp.path);
          const before = contents(folder);

          const options = { dir: folder, db: "/app/data/tasks.db", keep, timeZone };
          const first = await pruneBackups(options);
          const second = await pruneBackups(options);

          const expected = modelKept(backups, keep, timeZone);
          const after = contents(folder);
          for (const name of foreign) expect(after[name], name).toBe(before[name]);
          for (const b of backups) {
            const present = b.file in after && manifestNameFor(b.file) in after === b.verified;
            expect(present, b.file).toBe(expected.has(b.file));
          }
          expect(first.deleted.sort()).toEqual(
            backups
              .filter((b) => !expected.has(b.file))
              .map((b) => b.file)
              .sort(),
          );
          expect(second.deleted).toEqual([]);
          expect(contents(folder)).toEqual(after);
        } finally {
          await tmp.cleanup();
        }
      }),
      { numRuns: 25 },
    );
  });
});

/** A small backup and, when verified, a manifest that catalog.ts accepts. */
function placeBackup(folder: string, b: Generated): void {
  const bytes = Buffer.from(`backup ${b.file}`);
  writeFileSync(join(folder, b.file), bytes, { mode: 0o600 });
  if (!b.verified) return;
  writeFileSync(join(folder, manifestNameFor(b.file)), JSON.stringify(manifestFor(b, bytes)));
}

function manifestFor(b: Generated, bytes: Buffer): Manifest {
  return {
    format: 1,
    file: b.file,
    database: { path: "/app/data/tasks.db", name: "tasks" },
    createdAt: b.time.toISOString(),
    sqlite: { pageSize: 4096, pageCount: 1, userVersion: 0, version: "3" },
    tables: {},
    check: { kind: "quick", result: "ok" },
    uncompressed: { bytes: bytes.length, sha256: "0" },
    compressed: { bytes: bytes.length, sha256: "0" },
    gzipLevel: 3,
    timings: {},
    host: "test",
    guardrailVersion: "test",
  };
}

/**
 * Files in the backup folder that are not ours: other databases' backups (verified, and old
 * enough that a rule would drop them were they ours), near-miss names, a folder and a symlink
 * named like backups, temporary files, and names that look like ours but that this program
 * never writes (a 31st of February, an hour 24, an explicit "-1" sequence).
 */
function placeForeignFiles(folder: string, outside: string): string[] {
  const old = new Date(Date.UTC(1999, 0, 1));
  const file = (name: string, text = `not ours: ${name}`) => {
    writeFileSync(join(folder, name), text);
    return name;
  };
  const names = [
    file(formatBackupName("notes", old)),
    file(manifestNameFor(formatBackupName("notes", old))),
    file(formatBackupName("tasks-archive", old)),
    file(`${formatBackupName("tasks", old)}.bak`),
    file(`copy-of-${formatBackupName("tasks", old)}`),
    file("tasks-19990231-0000.sqlite3.gz"),
    file("tasks-19990101-2400.sqlite3.gz"),
    file("tasks-19990101-0000-1.sqlite3.gz"),
    file("tasks-19990101-0000-01.sqlite3.gz"),
    file(".guardrail-tmp-tasks-19990101-0000.sqlite3.gz"),
    file("README.txt"),
    file("backup.log"),
  ];
  const fakes = ["tasks-19990231-0000", "tasks-19990101-2400", "tasks-19990101-0000-1"];
  for (const fake of fakes) {
    const bytes = readFileSync(join(folder, `${fake}.sqlite3.gz`));
    const b = { file: `${fake}.sqlite3.gz`, time: old, sequence: 1, verified: true };
    names.push(file(`${fake}.json`, JSON.stringify(manifestFor(b, bytes))));
  }
  mkdirSync(join(folder, formatBackupName("tasks", new Date(Date.UTC(1999, 1, 1)))));
  const target = join(outside, "precious.txt");
  writeFileSync(target, "outside the backup folder");
  const link = formatBackupName("tasks", new Date(Date.UTC(1999, 2, 1)));
  symlinkSync(target, join(folder, link));
  return [...names, link];
}

/** Every entry of `folder` with a digest of what it is: "nothing else changed" made checkable. */
function contents(folder: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, name.name);
    result[name.name] = name.isDirectory()
      ? "folder"
      : createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return result;
}

function hash(text: string): number {
  return createHash("sha256").update(text).digest().readUInt32BE(0);
}
