// Restore run as the database's owner while the app writing it runs as another user (root here):
// /proc hides the app from restore, so only SQLite's own lock can tell that the database is in
// use. A restore that missed it would move the files aside under the app, which would then
// commit into the moved-aside copy.
import { spawnSync } from "node:child_process";
import { chmodSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { DirectoryResult } from "tmp-promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CLI,
  makeWorkspace,
  query,
  startWriter,
  type CliResult,
  type Writer,
} from "../support/backup-env.js";
import {
  createTasksDatabase,
  folderDigest,
  writeBackup,
  type FixtureBackup,
} from "../support/backup-fixture.js";
import { asTestUser, chownToTestUser } from "../support/unprivileged.js";

let tmp: DirectoryResult;
let data: string;
let backups: string;
let db: string;
let backup: FixtureBackup;
let writer: Writer | undefined;

beforeEach(async () => {
  ({ tmp, db, dir: backups } = await makeWorkspace());
  data = dirname(db);
  createTasksDatabase(db, 5);
  backup = writeBackup(db, backups, new Date("2026-11-01T03:00:00Z"));
  chmodSync(tmp.path, 0o755); // the test user must reach data/
});
afterEach(async () => {
  if (writer && writer.child.exitCode === null && writer.child.signalCode === null) {
    await writer.kill();
  }
  writer = undefined;
  await tmp.cleanup();
});

function restoreAsTestUser(): CliResult {
  const [command, ...args] = asTestUser([process.execPath, CLI, "restore", backup.file]);
  const run = spawnSync(command!, [...args, "--to", db], {
    env: { PATH: process.env.PATH ?? "", BACKUP_DIR: backups },
    encoding: "utf8",
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

function expectRefusedAsInUse(result: CliResult): void {
  expect(result.status, result.stderr).toBe(1);
  expect(result.stdout).toBe("");
  const [first, ...rest] = result.stderr.trim().split("\n");
  const quoted = db.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  expect(first).toMatch(
    new RegExp(
      `^guardrail-backup: ${quoted} is in use: SQLite reports a lock held by another connection ` +
        `\\(SQLITE_BUSY\\); the holder is unknown, probably another user's or another ` +
        `container's process: no process visible in /proc has it open ` +
        `\\([1-9]\\d* processes of other users could not be looked into\\)$`,
    ),
  );
  expect(rest).toEqual([
    "hint: stop the app first (restoring under a running app mixes old and new pages), or pass --force",
  ]);
}

function countEvents(): number {
  return query<{ n: number }>(db, "SELECT count(*) AS n FROM events")[0]!.n;
}

describe("restore as the database's owner while another user's app has it open", () => {
  it("refuses with exit 1, names the database and --force, and leaves the database, -wal and -shm byte for byte in place; once the app stops it restores", async () => {
    writer = await startWriter(db, "hold", 20, { noCheckpoint: true });
    chownToTestUser(data);
    const before = folderDigest(data);
    const topLevel = Object.keys(before).filter((name) => !name.includes("/"));
    expect(topLevel).toEqual(["backups", "tasks.db", "tasks.db-shm", "tasks.db-wal"]);

    expectRefusedAsInUse(restoreAsTestUser());
    expect(folderDigest(data)).toEqual(before);
    expect(await writer.stop()).toBe(20);

    const restored = restoreAsTestUser();
    expect(restored.status, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/^restored .*tasks-20261101-0300\.sqlite3\.gz$/m);
    expect(restored.stdout).toMatch(/^in-use check: no process visible in \/proc has it open/m);
    expect(query(db, "SELECT count(*) AS n FROM tasks")).toEqual([{ n: 5 }]);
    // The app's 20 commits are in the file moved aside, which the undo commands put back.
    const aside = readdirSync(data).filter((name) => /^tasks\.db\.pre-restore-/.test(name));
    expect(aside).toHaveLength(1);
    expect(query(join(data, aside[0]!), "SELECT count(*) AS n FROM events")).toEqual([{ n: 20 }]);
  });

  it("an app that keeps committing through the refused restore gets no error, and every commit lands in the database in place", async () => {
    writer = await startWriter(db, "continuous", 2);
    chownToTestUser(data);
    const files = ["tasks.db", "tasks.db-wal", "tasks.db-shm"].map((name) => join(data, name));
    const inodes = files.map((path) => statSync(path).ino);

    expectRefusedAsInUse(restoreAsTestUser());
    expect(readdirSync(data).sort()).toEqual([
      "backups",
      "tasks.db",
      "tasks.db-shm",
      "tasks.db-wal",
    ]);
    expect(files.map((path) => statSync(path).ino)).toEqual(inodes);

    // Still committing after the refusal (the test's own timeout bounds the wait).
    const seen = countEvents();
    while (countEvents() <= seen) await new Promise((resolve) => setTimeout(resolve, 5));
    // stop() resolves only on the writer's own "stopped": a SQLite error would have killed it.
    const rows = await writer.stop();
    expect(
      query(
        db,
        "SELECT count(*) AS n, max(id) AS top, (SELECT value FROM counters WHERE name = 'last') AS last FROM events",
      ),
    ).toEqual([{ n: rows, top: rows, last: rows }]);
  });
});
