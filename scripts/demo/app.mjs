/* global process, setInterval */
// The demo's stand-in for the app: a separate process that owns a SQLite database in WAL mode.
//
//   node app.mjs write <db> <intervalMs>   commit a task every intervalMs until SIGTERM/SIGINT
//   node app.mjs count <db>                print `<table> <rows>` for each table, then exit
//
// `write` prints "writing <rows>" once the first commit is in, and "stopped <rows>" on exit.
import Database from "better-sqlite3";

const [mode, path, arg] = process.argv.slice(2);

if (mode === "count") {
  // Read-only: a restored copy must not be changed by looking at it.
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .pluck()
    .all();
  for (const table of tables) {
    const rows = db.prepare(`SELECT count(*) FROM "${table}"`).pluck().get();
    process.stdout.write(`${table} ${rows}\n`);
  }
  db.close();
} else if (mode === "write") {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(`CREATE TABLE IF NOT EXISTS tasks (
             id INTEGER PRIMARY KEY,
             title TEXT NOT NULL,
             done INTEGER NOT NULL DEFAULT 0,
             created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')))`);
  const insert = db.prepare("INSERT INTO tasks (title) VALUES (?)");
  let rows = db.prepare("SELECT count(*) FROM tasks").pluck().get();
  const write = () => {
    insert.run(`task number ${rows + 1}`);
    rows++;
  };
  const stop = () => {
    db.close();
    process.stdout.write(`stopped ${rows}\n`);
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  write();
  process.stdout.write(`writing ${rows}\n`);
  setInterval(write, Number(arg ?? 5));
} else {
  process.stderr.write("usage: node app.mjs write <db> <intervalMs> | count <db>\n");
  process.exit(2);
}
