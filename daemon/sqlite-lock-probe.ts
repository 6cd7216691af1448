// Asking SQLite itself whether another connection holds a database. /proc only shows this user's
// processes in this PID namespace; SQLite's locks are POSIX locks on the file, which the kernel
// enforces for every process that opens the same file, whatever its user or container.
//
// The probe opens the database with no busy timeout in exclusive locking mode and reads it. On a
// WAL database the read asks for an EXCLUSIVE lock on the database file before it opens the -wal
// or touches the -shm (an exclusive-mode connection keeps its WAL index in its own memory), and
// every open WAL connection holds a SHARED lock, so SQLITE_BUSY means "in use" and nothing was
// opened but the database file. A rollback-mode database also gets `BEGIN EXCLUSIVE`.
//
// The probe runs in a child process that SIGKILLs itself once it has answered. Closing the
// connection normally would, when no one else holds the database, checkpoint the -wal into the
// database and delete the -wal: the files restore keeps aside would no longer be the ones the app
// left. Killed, it never closes; the kernel drops its lock, and the parent waits for that.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { readFile, stat } from "node:fs/promises";
import { readJournalMode } from "./journal-mode.js";

const betterSqlite3 = createRequire(import.meta.url).resolve("better-sqlite3");

/** WAL recovery reads the whole -wal in the probe; past this, the answer is "unknown". */
const PROBE_DEADLINE_MS = 60_000;

const PROBE_CODE = `
const [modulePath, path] = process.argv.slice(1);
let answer;
try {
  const Database = require(modulePath);
  const db = new Database(path, { fileMustExist: true, timeout: 0 });
  db.pragma("locking_mode = EXCLUSIVE");
  db.pragma("schema_version");
  const mode = db.pragma("journal_mode", { simple: true });
  if (mode !== "wal") db.exec("BEGIN EXCLUSIVE");
  answer = { free: true, mode };
} catch (error) {
  answer = { code: String(error.code ?? ""), message: String(error.message) };
}
process.stdout.write(JSON.stringify(answer) + "\\n", () => process.kill(process.pid, "SIGKILL"));
`;

export type LockProbe =
  | { state: "in-use"; code: string }
  | { state: "free"; why: string }
  | { state: "unknown"; reason: string };

/**
 * Whether another connection, in any process on this machine, holds the database at `path`.
 * Never creates, writes, checkpoints or deletes any of its files, and has released its own lock
 * when it returns. Does not throw: a probe that cannot answer says "unknown" and why.
 */
export async function probeSqliteLock(path: string): Promise<LockProbe> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return { state: "free", why: "there is no database file" };
  // SQLite deletes the -wal of an empty database file when it opens it; nothing is committed there.
  if (info.size === 0) return { state: "free", why: "the database file is empty" };

  const wal = await stat(`${path}-wal`).catch(() => undefined);
  const mode = await readJournalMode(path).catch(() => undefined);
  // A WAL connection creates the -wal on its first read and the last one to close deletes it, so
  // without one nobody holds a lock; reading anyway would create a -wal (or fail in a read-only
  // folder).
  if (mode === "wal" && !wal) {
    return { state: "free", why: "a WAL database without a -wal file has no open connection" };
  }
  // A rollback journal beside the database: an app is in a write, or crashed in one. Opening
  // the database would roll that journal back, writing the very files restore is about to move
  // aside, so the probe does not open it and cannot tell.
  // The kernel's lock table tells the two apart without opening anything.
  const journal = await stat(`${path}-journal`).catch(() => undefined);
  if (mode !== "wal" && journal && journal.size > 0) {
    if (await hasKernelLock(info.ino)) return { state: "in-use", code: "LOCKED (/proc/locks)" };
    return {
      state: "unknown",
      reason:
        "a rollback journal (-journal) is beside it and nobody holds a lock: an app crashed mid-write",
    };
  }
  return runProbe(path);
}

/** True when /proc/locks lists a lock on the file with inode `ino` (any process, any user). */
async function hasKernelLock(ino: number): Promise<boolean> {
  const table = await readFile("/proc/locks", "utf8").catch(() => "");
  // "1: POSIX  ADVISORY  WRITE 1234 08:01:123456 1073741824 1073741824": maj:min:inode. Only
  // the inode is compared: a match on another device only makes restore refuse, never proceed.
  return table.split("\n").some((line) => line.split(/\s+/)[5]?.split(":")[2] === String(ino));
}

async function runProbe(path: string): Promise<LockProbe> {
  const child = spawn(process.execPath, ["-e", PROBE_CODE, betterSqlite3, path], {
    stdio: ["ignore", "pipe", "pipe"],
    timeout: PROBE_DEADLINE_MS,
    killSignal: "SIGKILL",
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  // 'close' comes after the exit and the end of its output: the probe's lock is gone by then.
  const ended = await new Promise<{ error?: Error }>((resolve) => {
    child.once("error", (error) => resolve({ error }));
    child.once("close", () => resolve({}));
  });
  if (ended.error) return { state: "unknown", reason: `could not start: ${ended.error.message}` };
  return readAnswer(stdout, stderr);
}

function readAnswer(stdout: string, stderr: string): LockProbe {
  let answer: { free?: boolean; mode?: string; code?: string; message?: string };
  try {
    answer = JSON.parse(stdout.trim()) as typeof answer;
  } catch {
    const detail = stderr.trim().split("\n").at(-1) ?? "";
    return { state: "unknown", reason: `the probe gave no answer${detail ? ` (${detail})` : ""}` };
  }
  if (answer.free) {
    return answer.mode === "wal"
      ? { state: "free", why: "SQLite granted an exclusive lock" }
      : {
          state: "free",
          why: `SQLite granted an exclusive lock (journal_mode ${answer.mode}: an idle connection holds no lock there)`,
        };
  }
  const code = answer.code ?? "";
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return { state: "in-use", code };
  }
  return { state: "unknown", reason: `${code || "error"}: ${answer.message ?? ""}` };
}
