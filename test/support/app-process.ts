// A real "app" process for tests: a child that opens a SQLite database in WAL mode, commits rows
// with auto-checkpoint off (so they live only in -wal), says "ready" and holds the file open.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

const SCRIPT = `
const Database = require("better-sqlite3");
const db = new Database(process.argv[1]);
db.pragma("journal_mode = WAL");
db.pragma("wal_autocheckpoint = 0");
db.exec("CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY, title TEXT NOT NULL)");
const insert = db.prepare("INSERT INTO tasks (title) VALUES (?)");
for (let i = 0; i < Number(process.argv[2]); i++) insert.run("wal " + i);
process.stdout.write("ready\\n");
setInterval(() => {}, 1000);
`;

/** Starts the app on `dbPath`, committing `rows` rows; resolves once they are committed. */
export async function startApp(dbPath: string, rows: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["-e", SCRIPT, dbPath, String(rows)], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout?.setEncoding("utf8");
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: string) => {
      output += chunk;
      if (output.includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`app exited early with ${code}`)));
  });
  return child;
}

/** Kills the app the hard way, leaving its -wal and -shm behind as a crash or `kill -9` would. */
export async function killApp(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}
