import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import {
  chownSync,
  chmodSync,
  existsSync,
  readdirSync,
  statSync,
  truncateSync,
  writeFileSync,
  copyFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { DirectoryResult } from "tmp-promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../shared/log.js";
import { restoreBackup, RestoreRefusedError } from "../../daemon/restore.js";
import { BackupUnusableError } from "../../daemon/unpack.js";
import { createTasksDatabase, folderDigest, writeBackup } from "../support/backup-fixture.js";
import { killApp, startApp } from "../support/app-process.js";
import { makeWorkspace } from "../support/backup-env.js";

const log = createLogger({ level: "silent" });
const require = createRequire(import.meta.url);

function countRows(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return Number(db.prepare("SELECT count(*) FROM tasks").pluck().get());
  } finally {
    db.close();
  }
}

let tmp: DirectoryResult;
let appDir: string;
let backupDir: string;
let db: string;

beforeEach(async () => {
  ({ tmp, db, dir: backupDir } = await makeWorkspace());
  appDir = dirname(db);
});
afterEach(async () => tmp.cleanup());

describe("restore", () => {
  it("restores the newest verified backup over a stopped app's database and can be undone", async () => {
    createTasksDatabase(db, 10);
    writeBackup(db, backupDir, new Date("2026-11-01T03:00:00Z"));
    createTasksDatabase(db, 15);
    writeBackup(db, backupDir, new Date("2026-11-02T03:00:00Z"));
    // An unverified newer backup (its manifest is missing) must be passed over.
    const broken = writeBackup(db, backupDir, new Date("2026-11-03T03:00:00Z"));
    execFileSync("rm", [broken.manifestPath]);

    // The app commits 7 more rows that live only in its -wal, then dies without a checkpoint.
    const app = await startApp(db, 7);
    await killApp(app);
    expect(existsSync(`${db}-wal`)).toBe(true);
    chownSync(db, 1234, 2345);
    chmodSync(db, 0o640);
    const before = folderDigest(appDir);

    const report = await restoreBackup(
      {
        backup: undefined,
        latest: true,
        to: db,
        force: false,
        backupDir,
        now: new Date("2026-12-03T09:40:12Z"),
      },
      log,
    );

    expect(report.backup).toBe(join(backupDir, "tasks-20261102-0300.sqlite3.gz"));
    // The restore leaves no -wal/-shm of its own (they would be owned by whoever ran it), and
    // the restored file is in WAL mode like the one it replaced.
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(existsSync(`${db}-shm`)).toBe(false);
    expect(report.journalMode).toBe("wal");
    expect(countRows(db)).toBe(25);
    const suffix = ".pre-restore-20261203T094012Z";
    expect(report.movedAside.map((m) => m.to)).toEqual([
      db + suffix,
      `${db}-wal${suffix}`,
      `${db}-shm${suffix}`,
    ]);
    expect(statSync(db).uid).toBe(1234);
    expect(statSync(db).gid).toBe(2345);
    expect(statSync(db).mode & 0o7777).toBe(0o640);
    expect(readdirSync(appDir).filter((f) => f.startsWith(".guardrail-tmp-"))).toEqual([]);

    // The printed undo commands bring back the old database, WAL commits included.
    execFileSync("sh", ["-c", report.undo.join(" && ")]);
    expect(folderDigest(appDir)).toEqual(before);
    expect(countRows(db)).toBe(25 + 7);
  });

  it("moves a crashed rollback-mode app's hot journal aside, so it is never replayed into the restored file", async () => {
    createTasksDatabase(db, 6);
    const backup = writeBackup(db, backupDir, new Date("2026-11-01T03:00:00Z"));
    // The app, in rollback-journal mode, dies in the middle of a large write transaction: its
    // -journal holds the old pages and is hot (no process holds the lock any more).
    const crash = `
      const Database = require(${JSON.stringify(require.resolve("better-sqlite3"))});
      const db = new Database(${JSON.stringify(db)});
      db.pragma("journal_mode = DELETE");
      db.pragma("cache_size = 2");
      db.exec("BEGIN");
      const insert = db.prepare("INSERT INTO tasks (title) VALUES (?)");
      for (let i = 0; i < 2000; i++) insert.run("x".repeat(200));
      process.kill(process.pid, "SIGKILL");`;
    expect(() => execFileSync(process.execPath, ["-e", crash])).toThrow();
    expect(statSync(`${db}-journal`).size).toBeGreaterThan(0);

    const report = await restoreBackup(
      { backup: backup.file, latest: false, to: db, force: false, backupDir },
      log,
    );

    expect(report.movedAside.map((m) => m.from)).toContain(`${db}-journal`);
    expect(existsSync(`${db}-journal`)).toBe(false);
    expect(countRows(db)).toBe(6);
    const check = new Database(db, { readonly: true });
    try {
      expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    } finally {
      check.close();
    }
  });

  it("refuses while another process has the database open, and --force overrides", async () => {
    createTasksDatabase(db, 4);
    const backup = writeBackup(db, backupDir, new Date("2026-11-01T03:00:00Z"));
    const app = await startApp(db, 2);
    try {
      const before = folderDigest(appDir);
      const request = { backup: backup.file, latest: false, to: db, force: false, backupDir };
      const refused = restoreBackup(request, log);
      await expect(refused).rejects.toThrow(RestoreRefusedError);
      await expect(refused).rejects.toThrow(/is open in node \(pid \d+\)/);
      expect(folderDigest(appDir)).toEqual(before);

      const report = await restoreBackup({ ...request, force: true }, log);
      expect(report.movedAside).toHaveLength(3);
    } finally {
      await killApp(app);
    }
    expect(countRows(db)).toBe(4);
  });

  describe("bad input changes nothing", () => {
    beforeEach(() => createTasksDatabase(db, 3));

    async function expectRefusal(
      request: { backup?: string; latest?: boolean; to?: string },
      error: new (...args: never[]) => Error,
      message: RegExp,
    ): Promise<void> {
      const before = folderDigest(appDir);
      const backupsBefore = folderDigest(backupDir);
      const attempt = restoreBackup(
        {
          backup: request.backup,
          latest: request.latest ?? false,
          to: request.to ?? db,
          force: false,
          backupDir,
        },
        log,
      );
      await expect(attempt).rejects.toThrow(error);
      await expect(attempt).rejects.toThrow(message);
      expect(folderDigest(appDir)).toEqual(before);
      expect(folderDigest(backupDir)).toEqual(backupsBefore);
    }

    it("rejects a backup that does not exist", async () => {
      await expectRefusal(
        { backup: "tasks-20990101-0000.sqlite3.gz" },
        BackupUnusableError,
        /no backup named tasks-20990101-0000.sqlite3.gz in BACKUP_DIR \(.*\)/,
      );
    });

    it("rejects --latest when there is no verified backup", async () => {
      await expectRefusal({ latest: true }, BackupUnusableError, /no verified backup of/);
    });

    it("rejects a truncated gzip", async () => {
      const backup = writeBackup(db, backupDir, new Date("2026-11-01T03:00:00Z"));
      truncateSync(backup.path, Math.floor(backup.manifest.compressed.bytes / 2));
      await expectRefusal(
        { backup: backup.path },
        BackupUnusableError,
        /truncated or not a valid gzip/,
      );
    });

    it("rejects a backup whose bytes differ from its manifest", async () => {
      const time = new Date("2026-11-01T03:00:00Z");
      const backup = writeBackup(db, backupDir, time);
      createTasksDatabase(db, 1);
      // A valid gzip of other data under the same name: only the hash can tell.
      copyFileSync(writeBackup(db, tmp.path, time).path, backup.path);
      await expectRefusal(
        { backup: backup.path },
        BackupUnusableError,
        /does not match its manifest's sha256/,
      );
    });

    it("rejects a folder given as the backup or as the database", async () => {
      const backup = writeBackup(db, backupDir, new Date("2026-11-01T03:00:00Z"));
      await expectRefusal({ backup: backupDir }, BackupUnusableError, /is not a backup file/);
      await expectRefusal(
        { backup: backup.path, to: backupDir },
        RestoreRefusedError,
        /is not a database file/,
      );
    });

    it("rejects a backup of a different database", async () => {
      const notes = join(tmp.path, "notes.db");
      createTasksDatabase(notes, 2);
      const backup = writeBackup(notes, tmp.path, new Date("2026-11-01T03:00:00Z"));
      await expectRefusal(
        { backup: backup.path },
        RestoreRefusedError,
        /is a backup of "notes", not of/,
      );
    });

    it("rejects a backup without its manifest", async () => {
      const backup = writeBackup(db, backupDir, new Date("2026-11-01T03:00:00Z"));
      writeFileSync(backup.manifestPath, "{ not json");
      await expectRefusal(
        { backup: backup.file },
        BackupUnusableError,
        /manifest .* is missing or invalid/,
      );
    });
  });
});
