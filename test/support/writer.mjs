/* global process, setInterval */
// A stand-in for the app: a separate process writing to a SQLite database in WAL mode.
//
//   node writer.mjs <db> continuous [intervalMs]   commit one row every intervalMs until SIGTERM
//   node writer.mjs <db> hold <commits>            commit that many rows, then wait, connection open
//
// Options (env): WRITER_NO_CHECKPOINT=1 turns auto-checkpoint off, so commits stay in the -wal.
// Each commit inserts an `events` row and sets `counters.last` to its id in the same
// transaction: a consistent copy always has last == max(id) == count(*).
// Prints "ready <rows>" once writing is under way (hold: once all commits are done), and
// "stopped <rows>" on SIGTERM after closing the database.
import Database from "better-sqlite3";

const [path, mode, arg] = process.argv.slice(2);
const db = new Database(path);
db.pragma("journal_mode = WAL");
if (process.env.WRITER_NO_CHECKPOINT === "1") db.pragma("wal_autocheckpoint = 0");
db.exec(`CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);`);

const insert = db.prepare("INSERT INTO events (payload) VALUES (?)");
const setLast = db.prepare(
  "INSERT INTO counters (name, value) VALUES ('last', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
);
const commit = db.transaction(() => {
  const { lastInsertRowid } = insert.run(`event payload ${"x".repeat(40)}`);
  setLast.run(lastInsertRowid);
});
let rows = db.prepare("SELECT count(*) FROM events").pluck().get();

function write() {
  commit();
  rows++;
}

process.on("SIGTERM", () => {
  db.close();
  process.stdout.write(`stopped ${rows}\n`);
  process.exit(0);
});

if (mode === "hold") {
  for (let i = 0; i < Number(arg); i++) write();
  process.stdout.write(`ready ${rows}\n`);
  setInterval(() => {}, 60_000);
} else {
  const interval = Number(arg ?? 2);
  write();
  process.stdout.write(`ready ${rows}\n`);
  setInterval(write, interval);
}
