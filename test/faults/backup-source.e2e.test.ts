// The source database gone wrong under the sidecar: damaged, deleted, replaced by something
// else, or held in a long write transaction by the app. A backup either is a faithful copy of
// committed data or fails saying why; it never changes or creates the source, and older backups
// stay byte-identical.
import Database from "better-sqlite3";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { query, runCli } from "../support/backup-env.js";
import {
  expectOnlyVerifiedBackups,
  hashFinalFiles,
  temporaryNames,
  unpackBackup,
} from "../support/backup-faults.js";
import { processesUsing } from "../support/processes.js";
import { useBackupEnv } from "../support/use-backup-env.js";

const backup = useBackupEnv({ seedRows: 20_000, payloadBytes: 200 });

let older: Record<string, string>;
const children: ChildProcess[] = [];

beforeEach(() => {
  const first = runCli(["once"], backup.ws.env);
  expect(first.status, first.stderr).toBe(0);
  older = hashFinalFiles(backup.ws.dir);
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  }
});

/** A failed `once`: exit 1, the reason and hint on stderr, nothing new, nothing left over. */
function expectCleanFailure(message: string, hint: string) {
  const result = runCli(["once", "--no-prune"], backup.ws.env);
  expect(result.status, result.stderr).toBe(1);
  expect(result.stderr).toContain(message);
  expect(result.stderr).toContain(`hint: ${hint}`);
  expect(hashFinalFiles(backup.ws.dir)).toEqual(older);
  expect(temporaryNames(backup.ws.dir)).toEqual([]);
}

/** Overwrites `length` bytes of `path` at `offset` with `byte`. */
function scribble(path: string, offset: number, length: number, byte: number) {
  const fd = openSync(path, "r+");
  writeSync(fd, Buffer.alloc(length, byte), 0, length, offset);
}

describe("the source database", () => {
  it("damaged inside: the run fails at the snapshot saying the database is damaged, exit 1, older backups byte-identical, the damaged file untouched", () => {
    scribble(backup.ws.db, 4096 * 100, 4096, 0xff);
    const damaged = readFileSync(backup.ws.db);
    expectCleanFailure(
      "backup failed at snapshot: sqlite could not copy",
      "the live database looks damaged; older backups are untouched, restore one of them",
    );
    expect(readFileSync(backup.ws.db).equals(damaged)).toBe(true);
  });

  it("with a damaged header: the run fails saying it is not a SQLite database, exit 1, older backups byte-identical", () => {
    scribble(backup.ws.db, 0, 100, 0x00);
    expectCleanFailure(
      "file is not a database",
      `${backup.ws.db} is not a SQLite database; check that BACKUP_DB points at the app's database file`,
    );
  });

  it("replaced by a file that is not SQLite: the run fails saying so, and the file is left as it was (no -wal or -shm made)", () => {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${backup.ws.db}${suffix}`, { force: true });
    writeFileSync(backup.ws.db, "name,done\nwrite tests,yes\n");
    expectCleanFailure(
      "file is not a database",
      `${backup.ws.db} is not a SQLite database; check that BACKUP_DB points at the app's database file`,
    );
    expect(readFileSync(backup.ws.db, "utf8")).toBe("name,done\nwrite tests,yes\n");
    expect(existsSync(`${backup.ws.db}-wal`) || existsSync(`${backup.ws.db}-shm`)).toBe(false);
  });

  it("replaced by another SQLite database: the backup is a faithful copy of the new file and the older backups stay byte-identical", async () => {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${backup.ws.db}${suffix}`, { force: true });
    const other = new Database(backup.ws.db);
    other.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)");
    other.prepare("INSERT INTO invoices (total) VALUES (?)").run(42);
    other.close();

    const result = runCli(["once", "--no-prune"], backup.ws.env);
    expect(result.status, result.stderr).toBe(0);
    const backups = await expectOnlyVerifiedBackups(backup.ws.dir);
    expect(backups).toHaveLength(2);
    const after = hashFinalFiles(backup.ws.dir);
    for (const [file, hash] of Object.entries(older)) expect(after[file], file).toBe(hash);
    const copy = await unpackBackup(
      join(backup.ws.dir, backups[0]!),
      join(backup.ws.tmp.path, "copy.db"),
    );
    expect(query(copy, "SELECT name FROM sqlite_schema WHERE type = 'table'")).toEqual([
      { name: "invoices" },
    ]);
    expect(query(copy, "SELECT total FROM invoices")).toEqual([{ total: 42 }]);
  });

  it("deleted while the daemon runs: the run fails saying the database cannot be opened, /health is 503, and the database is not recreated", async () => {
    const daemon = await backup.startDaemon({
      ...backup.ws.env,
      BACKUP_SCHEDULE: "0 3 * * *",
    });
    // Answered: the daemon's signal handlers are in place (see backup-folder.e2e.test.ts).
    expect((await daemon.get("/health")).status).toBe(200);
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${backup.ws.db}${suffix}`, { force: true });
    daemon.child.kill("SIGUSR1");
    const failed = await daemon.waitForLine((line) => line.msg === "backup run failed");
    expect(failed.step).toBe("snapshot");
    expect(failed.error).toContain(`the database ${backup.ws.db} cannot be opened`);
    expect(failed.hint).toContain("check BACKUP_DB");
    const health = await daemon.get("/health");
    expect(health.status).toBe(503);
    expect(health.body).toContain("the last backup failed at snapshot");
    expect(existsSync(backup.ws.db)).toBe(false);
    expect(hashFinalFiles(backup.ws.dir)).toEqual(older);
    expect(temporaryNames(backup.ws.dir)).toEqual([]);
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  });

  it("held in a long write transaction by the app: the backup finishes without the uncommitted rows, and the app then commits", async () => {
    const app = await holdWriteTransaction(backup.ws.db, 500);
    const result = runCli(["once", "--no-prune"], backup.ws.env);
    expect(result.status, result.stderr).toBe(0);

    const [newest] = await expectOnlyVerifiedBackups(backup.ws.dir);
    const copy = await unpackBackup(
      join(backup.ws.dir, newest!),
      join(backup.ws.tmp.path, "copy.db"),
    );
    expect(query(copy, "SELECT count(*) AS n FROM events WHERE payload = 'uncommitted'")).toEqual([
      { n: 0 },
    ]);
    expect(query(copy, "SELECT count(*) AS n FROM events")).toEqual([{ n: 20_000 }]);

    expect(await app.commit()).toBe("committed");
    expect(query(backup.ws.db, "SELECT count(*) AS n FROM events")).toEqual([{ n: 20_500 }]);
    expect(processesUsing(backup.ws.dir)).toEqual([]);
  });
});

// The app: opens the database in WAL mode, begins a write transaction, inserts rows, says
// "holding", and commits only when told to on stdin.
const HOLDER = `
const Database = require("better-sqlite3");
const db = new Database(process.argv[1]);
db.pragma("journal_mode = WAL");
db.exec("BEGIN IMMEDIATE");
const insert = db.prepare("INSERT INTO events (payload) VALUES ('uncommitted')");
for (let i = 0; i < Number(process.argv[2]); i++) insert.run();
process.stdout.write("holding\\n");
process.stdin.once("data", () => {
  db.exec("COMMIT");
  db.close();
  process.stdout.write("committed\\n");
  process.exit(0);
});
`;

async function holdWriteTransaction(db: string, rows: number) {
  const child = spawn(process.execPath, ["-e", HOLDER, db, String(rows)], {
    cwd: process.cwd(),
    stdio: ["pipe", "pipe", "inherit"],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => String((await lines.next()).value);
  expect(await next()).toBe("holding");
  return {
    commit: async () => {
      child.stdin!.write("commit\n");
      return next();
    },
  };
}
