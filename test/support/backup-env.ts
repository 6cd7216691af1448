// Shared set-up for the backup sidecar's tests: a database folder, the writer child process,
// the built CLI, and config objects without going through the environment.
import Database from "better-sqlite3";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { dir, type DirectoryResult } from "tmp-promise";
import { expect } from "vitest";
import { loadConfig, type BackupConfig } from "../../daemon/config.js";
import { ConfigError } from "../../shared/errors.js";

export const CLI = resolve("dist/daemon/main.js");
const WRITER = resolve("test/support/writer.mjs");

export interface Workspace {
  tmp: DirectoryResult;
  db: string;
  dir: string;
  env: Record<string, string>;
}

/** A temporary folder with `data/tasks.db` (not yet created) and `data/backups/`. */
export async function makeWorkspace(): Promise<Workspace> {
  const tmp = await dir({ unsafeCleanup: true });
  const data = join(tmp.path, "data");
  const backups = join(data, "backups");
  mkdirSync(backups, { recursive: true });
  const db = join(data, "tasks.db");
  return { tmp, db, dir: backups, env: { BACKUP_DB: db, BACKUP_DIR: backups, TZ: "UTC" } };
}

/** The configuration the program would read from `env` (files checked). */
export function configFor(env: Record<string, string>): BackupConfig {
  return loadConfig(env);
}

export interface Writer {
  child: ChildProcess;
  /** Rows written when the writer said "ready". */
  ready: number;
  /** SIGTERM, wait for exit; resolves to the number of rows written. */
  stop(): Promise<number>;
  /** SIGKILL (no checkpoint on close), wait for exit. */
  kill(): Promise<void>;
}

/** Starts the writer child process (test/support/writer.mjs) and waits until it is ready. */
export async function startWriter(
  db: string,
  mode: "continuous" | "hold",
  arg: number,
  options: { noCheckpoint?: boolean } = {},
): Promise<Writer> {
  const child = spawn(process.execPath, [WRITER, db, mode, String(arg)], {
    env: { ...process.env, WRITER_NO_CHECKPOINT: options.noCheckpoint ? "1" : "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const next = (prefix: string) =>
    new Promise<number>((resolvePromise, reject) => {
      const onLine = (line: string) => {
        if (!line.startsWith(prefix)) return;
        lines.off("line", onLine);
        resolvePromise(Number(line.slice(prefix.length)));
      };
      lines.on("line", onLine);
      child.once("exit", (code) => reject(new Error(`writer exited (${code}) before "${prefix}"`)));
    });
  const ready = await next("ready ");
  const exited = new Promise<void>((resolvePromise) => child.once("exit", () => resolvePromise()));
  return {
    child,
    ready,
    stop: async () => {
      const stopped = next("stopped ");
      child.kill("SIGTERM");
      const rows = await stopped;
      await exited;
      return rows;
    },
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Creates a WAL database with `rows` events, written by this process and closed. */
export function seedDatabase(path: string, rows: number, payloadBytes = 40): void {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(`CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
           CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`);
  const insert = db.prepare("INSERT INTO events (payload) VALUES (?)");
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(`event payload ${"x".repeat(payloadBytes)}`);
    db.prepare("INSERT OR REPLACE INTO counters VALUES ('last', ?)").run(rows);
  })();
  db.close();
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI synchronously with exactly `env` (plus PATH). */
export function runCli(args: string[], env: Record<string, string>): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env },
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Rows of a query on a database opened read-only. */
export function query<T = unknown>(path: string, sql: string): T[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

export interface DaemonProcess {
  child: ChildProcess;
  port: number;
  /** Every JSON line the daemon wrote to stdout so far. */
  lines: Record<string, unknown>[];
  /** Resolves with the next line for which `match` is true (already written ones included). */
  waitForLine(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  get(path: string): Promise<{ status: number; body: string }>;
}

/** Starts `guardrail-backup run` (the built CLI) on a free port and waits until it listens. */
export async function startDaemonProcess(env: Record<string, string>): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [CLI, "run"], {
    env: { PATH: process.env.PATH ?? "", BACKUP_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: {
    match: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on("line", (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.match(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((resolvePromise) =>
    child.once("exit", (code) => resolvePromise(code)),
  );
  const waitForLine = (match: (line: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolvePromise, reject) => {
      const found = lines.find(match);
      if (found) return resolvePromise(found);
      waiters.push({ match, resolve: resolvePromise });
      void exited.then((code) => reject(new Error(`daemon exited (${code}): ${stderr}`)));
    });
  const started = await waitForLine((line) => line.msg === "daemon started");
  const port = Number(started.port);
  return {
    child,
    port,
    lines,
    waitForLine,
    exited,
    get: async (path) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: response.status, body: await response.text() };
    },
  };
}

/** The problems of the ConfigError (exit code 2) that `env` must cause; fails the test otherwise. */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    return [...(error as ConfigError).problems];
  }
  throw new Error("expected a ConfigError");
}
