// SQLite work off the main thread. better-sqlite3 is synchronous, and a snapshot or an integrity
// check of a large database takes seconds to minutes: run on the main thread they would stall
// /health, signal handling and the deadline. Each job runs in a worker thread of its own.
//
// The worker's code is a string (an `eval` worker) so that the same code runs from TypeScript
// under the tests and from the built JavaScript, without a second file to ship.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { GuardrailError } from "../shared/errors.js";

const betterSqlite3 = createRequire(import.meta.url).resolve("better-sqlite3");

const WORKER_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.module);
const job = workerData.job;
const quote = (name) => '"' + name.replaceAll('"', '""') + '"';

function snapshot() {
  // Read-only, never created: a read-only connection cannot checkpoint, so closing it leaves
  // the app's -wal and -shm exactly as they were, even when it was the last connection.
  const db = new Database(job.source, { readonly: true, fileMustExist: true });
  try {
    // One statement, one read transaction: it sees every commit up to its start, including
    // those still in the WAL, and foreign commits during the copy cannot restart it.
    db.prepare("VACUUM INTO ?").run(job.target);
  } finally {
    db.close();
  }
  return {};
}

function inspect() {
  const db = new Database(job.file, { readonly: true, fileMustExist: true });
  try {
    const pragma = job.check === "full" ? "integrity_check" : "quick_check";
    const rows = db.prepare("PRAGMA " + pragma).pluck().all();
    const result = rows.length === 1 && rows[0] === "ok" ? "ok" : rows.slice(0, 20).join("; ");
    const tables = {};
    const names = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all();
    if (result === "ok") {
      for (const name of names) {
        tables[name] = db.prepare("SELECT count(*) FROM " + quote(name)).pluck().get();
      }
    }
    return {
      check: result,
      tables,
      pageSize: db.pragma("page_size", { simple: true }),
      pageCount: db.pragma("page_count", { simple: true }),
      userVersion: db.pragma("user_version", { simple: true }),
      version: db.prepare("SELECT sqlite_version()").pluck().get(),
    };
  } finally {
    db.close();
  }
}

try {
  parentPort.postMessage({ ok: true, value: job.kind === "snapshot" ? snapshot() : inspect() });
} catch (error) {
  parentPort.postMessage({ ok: false, message: String(error && error.message || error), code: error && error.code });
}
`;

export type SqliteJob =
  | { kind: "snapshot"; source: string; target: string }
  | { kind: "inspect"; file: string; check: "quick" | "full" };

export interface Inspection {
  /** "ok", or the problems the check reported. */
  check: string;
  tables: Record<string, number>;
  pageSize: number;
  pageCount: number;
  userVersion: number;
  version: string;
}

/** A SQLite job that failed inside SQLite; `code` is SQLite's (e.g. SQLITE_CORRUPT). */
export class SqliteJobError extends GuardrailError {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/**
 * Runs one job in a fresh worker thread. Rejects with SqliteJobError when SQLite fails, and with
 * the signal's reason when aborted. An aborted job's worker is terminated; SQLite cannot be
 * interrupted mid-statement from here, so the thread ends when the statement does.
 *
 * TODO(snapshot-interrupt): better-sqlite3 exposes neither sqlite3_interrupt nor a progress
 * handler, so after a BACKUP_TIMEOUT in the daemon an abandoned VACUUM INTO keeps reading (one
 * read transaction, writers unaffected) into an already removed file until it ends. Running
 * the job in a child process would make it killable; worth it if timeouts show up in practice.
 */
export function runSqliteJob(
  job: { kind: "snapshot"; source: string; target: string },
  signal?: AbortSignal,
): Promise<object>;
export function runSqliteJob(
  job: { kind: "inspect"; file: string; check: "quick" | "full" },
  signal?: AbortSignal,
): Promise<Inspection>;
export function runSqliteJob(job: SqliteJob, signal?: AbortSignal): Promise<unknown> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const worker = new Worker(WORKER_CODE, {
      eval: true,
      workerData: { module: betterSqlite3, job },
    });
    const onAbort = () => {
      void worker.terminate();
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.once(
      "message",
      (message: { ok: boolean; value?: unknown; message?: string; code?: string }) => {
        signal?.removeEventListener("abort", onAbort);
        if (message.ok) resolve(message.value);
        else reject(new SqliteJobError(message.message ?? "sqlite failed", message.code));
      },
    );
    worker.once("error", (error) => {
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    worker.once("exit", () => reject(new GuardrailError("sqlite worker ended without an answer")));
  });
}
