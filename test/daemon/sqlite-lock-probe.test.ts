import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dir, type DirectoryResult } from "tmp-promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { probeSqliteLock } from "../../daemon/sqlite-lock-probe.js";
import { killApp, startApp } from "../support/app-process.js";
import { createTasksDatabase } from "../support/backup-fixture.js";

let tmp: DirectoryResult;
let db: string;

beforeEach(async () => {
  tmp = await dir({ unsafeCleanup: true });
  db = join(tmp.path, "tasks.db");
});
afterEach(async () => tmp.cleanup());

function bytesOf(paths: string[]): (string | undefined)[] {
  return paths.map((path) => (existsSync(path) ? readFileSync(path, "hex") : undefined));
}

describe("probeSqliteLock", () => {
  it("says in use while a WAL app holds the database, touching none of its files", async () => {
    const app = await startApp(db, 3);
    try {
      const files = [db, `${db}-wal`, `${db}-shm`];
      const before = bytesOf(files);
      expect(await probeSqliteLock(db)).toEqual({ state: "in-use", code: "SQLITE_BUSY" });
      expect(bytesOf(files)).toEqual(before);
    } finally {
      await killApp(app);
    }
  });

  it("says free over a crashed app's -wal without checkpointing it or creating a -shm", async () => {
    createTasksDatabase(db, 2);
    await killApp(await startApp(db, 4)); // 4 commits only in the -wal, no checkpoint
    rmSync(`${db}-shm`);
    const before = bytesOf([db, `${db}-wal`]);
    expect(await probeSqliteLock(db)).toEqual({
      state: "free",
      why: "SQLite granted an exclusive lock",
    });
    expect(bytesOf([db, `${db}-wal`])).toEqual(before);
    expect(existsSync(`${db}-shm`)).toBe(false);
  });

  it("says free for a closed WAL database without creating a -wal", async () => {
    createTasksDatabase(db, 2);
    expect((await probeSqliteLock(db)).state).toBe("free");
    expect(existsSync(`${db}-wal`)).toBe(false);
    expect(existsSync(`${db}-shm`)).toBe(false);
  });

  it("says in use while a rollback-mode app is inside a write transaction", async () => {
    const setup = new Database(db);
    setup.exec("CREATE TABLE t (x)");
    setup.close();
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `const db = new (require("better-sqlite3"))(process.argv[1]);
         db.exec("BEGIN IMMEDIATE; INSERT INTO t VALUES (1)");
         process.stdout.write("ready\\n"); setInterval(() => {}, 1000);`,
        db,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    try {
      await once(holder.stdout!, "data");
      // Its -journal exists, so the kernel's lock table answers, without opening the database.
      expect(await probeSqliteLock(db)).toEqual({ state: "in-use", code: "LOCKED (/proc/locks)" });
    } finally {
      holder.kill("SIGKILL");
      await once(holder, "exit");
    }
  });

  it("does not open a database whose crashed rollback-mode app left a hot journal", async () => {
    const setup = new Database(db);
    setup.exec("CREATE TABLE t (x)");
    setup.close();
    const crash = `const db = new (require("better-sqlite3"))(process.argv[1]);
      db.pragma("cache_size = 2");
      db.exec("BEGIN");
      for (let i = 0; i < 2000; i++) db.prepare("INSERT INTO t VALUES (?)").run("x".repeat(200));
      process.kill(process.pid, "SIGKILL");`;
    const child = spawn(process.execPath, ["-e", crash, db], { stdio: "ignore" });
    await once(child, "exit");
    const before = bytesOf([db, `${db}-journal`]);
    expect(before[1]).toBeDefined();

    const probe = await probeSqliteLock(db);

    expect(probe).toEqual({ state: "unknown", reason: expect.stringMatching(/crashed mid-write/) });
    // Opening it would have rolled the journal back into the database and deleted it.
    expect(bytesOf([db, `${db}-journal`])).toEqual(before);
  });

  it("cannot tell for a file that is not a SQLite database, and says why", async () => {
    writeFileSync(db, "not a database\n".repeat(100));
    const probe = await probeSqliteLock(db);
    expect(probe).toEqual({ state: "unknown", reason: expect.stringMatching(/SQLITE_NOTADB/) });
  });
});
