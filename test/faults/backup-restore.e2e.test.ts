// Faults of `guardrail-backup restore`, run as the real CLI: a live app holding the database, and
// every kind of bad input. Each case must end with a clear message, a non-zero exit and the
// existing database (with its -wal/-shm) byte for byte as it was, with no temporary file left.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { DirectoryResult } from "tmp-promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { killApp, startApp } from "../support/app-process.js";
import { CLI, makeWorkspace, query, runCli, type CliResult } from "../support/backup-env.js";
import {
  createTasksDatabase,
  folderDigest,
  writeBackup,
  type FixtureBackup,
} from "../support/backup-fixture.js";
import { mountSmallDisk } from "../support/small-disk.js";
import { asTestUser, chownToTestUser } from "../support/unprivileged.js";

let tmp: DirectoryResult;
let data: string;
let backups: string;
let db: string;
let backup: FixtureBackup;

beforeEach(async () => {
  ({ tmp, db, dir: backups } = await makeWorkspace());
  data = dirname(db);
  createTasksDatabase(db, 5);
  backup = writeBackup(db, backups, new Date("2026-11-01T03:00:00Z"));
  createTasksDatabase(db, 2); // the live database moves on: 7 rows, the backup has 5
});
afterEach(async () => tmp.cleanup());

function restore(args: string[], env: Record<string, string> = {}): CliResult {
  return runCli(["restore", ...args], { BACKUP_DIR: backups, ...env });
}

/** A refusal: exit 1, one `guardrail-backup:` line matching `reason`, a hint, nothing changed. */
function expectRefused(result: CliResult, reason: RegExp, before: Record<string, string>): void {
  expect(result.status, result.stderr).toBe(1);
  expect(result.stdout).toBe("");
  const [first, ...rest] = result.stderr.trim().split("\n");
  expect(first).toMatch(/^guardrail-backup: /);
  expect(first).toMatch(reason);
  expect(rest.join("\n")).toMatch(/^hint: \S/);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(folderDigest(data)).toEqual(before);
}

describe("restore refuses and changes nothing", () => {
  it("while the app has the database open, naming the process, with exit 1", async () => {
    const app = await startApp(db, 3);
    try {
      const before = folderDigest(data);
      const result = restore([backup.file, "--to", db]);
      expectRefused(result, new RegExp(`${db} is open in node \\(pid ${app.pid}\\)`), before);
    } finally {
      await killApp(app);
    }
  });

  it("when the backup does not exist", () => {
    const before = folderDigest(data);
    expectRefused(restore(["tasks-20990101-0000.sqlite3.gz", "--to", db]), /no backup/, before);
  });

  it("when the backup is not gzip at all", () => {
    writeFileSync(backup.path, "this is plain text, not a gzip stream\n".repeat(50));
    fixManifestSize(backup);
    const before = folderDigest(data);
    expectRefused(restore([backup.file, "--to", db]), /not a valid gzip/, before);
  });

  it("when the gzip is truncated", () => {
    truncateSync(backup.path, Math.floor(statSync(backup.path).size / 2));
    const before = folderDigest(data);
    expectRefused(restore([backup.path, "--to", db]), /truncated or not a valid gzip/, before);
  });

  it("when the gzip holds a file that is not a SQLite database, even with matching sums", () => {
    const plain = Buffer.from("id,title\n1,not a database\n".repeat(200));
    const gz = gzipSync(plain);
    writeFileSync(backup.path, gz);
    const manifest = { ...backup.manifest };
    manifest.compressed = { bytes: gz.length, sha256: sha256(gz) };
    manifest.uncompressed = { bytes: plain.length, sha256: sha256(plain) };
    writeFileSync(backup.manifestPath, JSON.stringify(manifest));
    const before = folderDigest(data);
    expectRefused(restore([backup.file, "--to", db]), /does not hold a SQLite database/, before);
  });

  it("when the backup does not match its manifest's sha256", () => {
    const other = join(tmp.path, "other");
    mkdirSync(other);
    copyFileSync(writeBackup(db, other, new Date("2026-11-01T03:00:00Z")).path, backup.path);
    fixManifestSize(backup);
    const before = folderDigest(data);
    expectRefused(restore([backup.file, "--to", db]), /does not match its manifest/, before);
  });

  it("when the target's folder does not exist", () => {
    const before = folderDigest(data);
    const missing = join(data, "no-such-folder", "tasks.db");
    expectRefused(restore([backup.file, "--to", missing]), /does not exist/, before);
  });

  it("when the target is a folder", () => {
    const folder = join(data, "tasks.db.d");
    mkdirSync(folder);
    const before = folderDigest(data);
    expectRefused(restore([backup.file, "--to", folder]), /is not a database file/, before);
  });

  it("when the target's folder is read-only for the user running it", () => {
    chmodSync(tmp.path, 0o755);
    chownToTestUser(data);
    chmodSync(data, 0o555);
    const before = folderDigest(data);
    const [command, ...args] = asTestUser([process.execPath, CLI, "restore", backup.file]);
    const run = spawnSync(command!, [...args, "--to", db], {
      env: { PATH: process.env.PATH ?? "", BACKUP_DIR: backups },
      encoding: "utf8",
    });
    chmodSync(data, 0o755);
    expectRefused(
      { status: run.status, stdout: run.stdout, stderr: run.stderr },
      /could not decompress .* into .*EACCES/,
      before,
    );
  });

  it("when the target's disk has no room for the restored copy", () => {
    const disk = mountSmallDisk(join(tmp.path, "small"), 256);
    try {
      const small = join(disk.path, "tasks.db");
      createTasksDatabase(small, 1);
      const big = join(tmp.path, "big");
      mkdirSync(big);
      createTasksDatabase(join(big, "tasks.db"), 20_000);
      const large = writeBackup(join(big, "tasks.db"), big, new Date("2026-11-02T03:00:00Z"));
      const before = folderDigest(disk.path);
      const result = restore([large.path, "--to", small]);
      expect(result.status, result.stderr).toBe(1);
      expect(result.stderr).toMatch(/^guardrail-backup: could not decompress .*ENOSPC/m);
      expect(result.stderr).toMatch(/^hint: check free space/m);
      expect(folderDigest(disk.path)).toEqual(before);
      expect(query(small, "SELECT count(*) AS n FROM tasks")).toEqual([{ n: 1 }]);
    } finally {
      disk.release();
    }
  });
});

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Keeps the manifest's size in step with a changed backup, so only the sums can tell. */
function fixManifestSize(target: FixtureBackup): void {
  const manifest = { ...target.manifest };
  manifest.compressed = { ...manifest.compressed, bytes: statSync(target.path).size };
  writeFileSync(target.manifestPath, JSON.stringify(manifest));
}
