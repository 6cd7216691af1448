/* global process, setInterval, performance, console */
// The app during a backup: commits a task every `intervalMs` on its own connection, with
// busy_timeout 5000 as apps set it, and records how long each commit took and whether it failed.
//
//   node writer.mjs <db> <intervalMs> <out.json>
// Prints "ready" once writing; on SIGTERM writes [[startEpochMs, latencyMs, ok], ...] to out.json.
// WRITER_SYNCHRONOUS (default NORMAL, the usual setting for WAL apps) sets PRAGMA synchronous.
import Database from "better-sqlite3";
import { writeFileSync } from "node:fs";

const [path, interval, out] = process.argv.slice(2);
const db = new Database(path);
db.pragma("journal_mode = WAL");
db.pragma("busy_timeout = 5000");
db.pragma(`synchronous = ${process.env.WRITER_SYNCHRONOUS ?? "NORMAL"}`);

const insert = db.prepare(`INSERT INTO tasks (project, title, body, status, priority, created_at,
  updated_at) VALUES (1, ?, ?, 'open', 2, ?, ?)`);
const touch = db.prepare("UPDATE projects SET created_at = ? WHERE id = 1");
const commit = db.transaction((n) => {
  const now = new Date().toISOString();
  insert.run(`written during the benchmark ${n}`, "body ".repeat(40), now, now);
  touch.run(now);
});

const samples = [];
const errors = new Map();
let n = 0;
const write = () => {
  const start = performance.timeOrigin + performance.now();
  const t0 = performance.now();
  let ok = 1;
  try {
    commit(n++);
  } catch (error) {
    ok = 0;
    errors.set(error.code ?? error.message, (errors.get(error.code ?? error.message) ?? 0) + 1);
  }
  samples.push([start, performance.now() - t0, ok]);
};

write();
console.log("ready");
setInterval(write, Number(interval));
process.on("SIGTERM", () => {
  writeFileSync(out, JSON.stringify({ samples, errors: Object.fromEntries(errors) }));
  db.close();
  process.exit(0);
});
