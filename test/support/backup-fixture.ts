// Real SQLite databases and real backups (gzip + manifest with sha256 sums) for tests of restore,
// drills and replicas, made the way the manifest contract describes them.
// Tests that need a backup of a live database take it with the real pipeline (`once`); this
// helper is for folders of many backups at chosen times, which the pipeline cannot name.
import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import {
  databaseBaseName,
  formatBackupName,
  manifestNameFor,
  type Manifest,
} from "../../daemon/manifest.js";

/** Creates a WAL database at `path` with `rows` tasks and a tag table linked by a foreign key. */
export function createTasksDatabase(path: string, rows: number, userVersion = 3): void {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.exec(`CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY, title TEXT NOT NULL);
           CREATE TABLE IF NOT EXISTS tags (id INTEGER PRIMARY KEY,
             task INTEGER NOT NULL REFERENCES tasks(id), tag TEXT)`);
  const insert = db.prepare("INSERT INTO tasks (title) VALUES (?)");
  const tag = db.prepare("INSERT INTO tags (task, tag) VALUES (?, 'x')");
  db.transaction(() => {
    for (let i = 0; i < rows; i++) tag.run(insert.run(`task ${i}`).lastInsertRowid);
  })();
  db.pragma(`user_version = ${userVersion}`);
  db.close();
}

export interface FixtureBackup {
  file: string;
  path: string;
  manifestPath: string;
  manifest: Manifest;
}

/** Snapshots `dbPath` with VACUUM INTO and writes `<name>.sqlite3.gz` + manifest into `dir`. */
export function writeBackup(dbPath: string, dir: string, time: Date, sequence = 1): FixtureBackup {
  const name = databaseBaseName(dbPath);
  const file = formatBackupName(name, time, sequence);
  const snapshot = join(dir, `snapshot-${process.pid}-${Date.now()}.tmp`);
  const source = new Database(dbPath, { readonly: true });
  source.exec(`VACUUM INTO '${snapshot.replaceAll("'", "''")}'`);
  source.close();

  const copy = new Database(snapshot, { readonly: true });
  const tables: Record<string, number> = {};
  const names = copy
    .prepare("SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  for (const table of names) {
    tables[table] = Number(copy.prepare(`SELECT count(*) FROM "${table}"`).pluck().get());
  }
  const sqlite = {
    pageSize: Number(copy.pragma("page_size", { simple: true })),
    pageCount: Number(copy.pragma("page_count", { simple: true })),
    userVersion: Number(copy.pragma("user_version", { simple: true })),
    version: String(copy.prepare("SELECT sqlite_version()").pluck().get()),
  };
  copy.close();

  const plain = readFileSync(snapshot);
  rmSync(snapshot);
  const gz = gzipSync(plain, { level: 6 });
  const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");
  const manifest: Manifest = {
    format: 1,
    file,
    database: { path: dbPath, name },
    createdAt: time.toISOString(),
    sqlite,
    tables,
    check: { kind: "quick", result: "ok" },
    uncompressed: { bytes: plain.length, sha256: sha(plain) },
    compressed: { bytes: gz.length, sha256: sha(gz) },
    gzipLevel: 6,
    timings: {},
    host: hostname(),
    guardrailVersion: "test",
  };
  const path = join(dir, file);
  const manifestPath = join(dir, manifestNameFor(file));
  writeFileSync(path, gz, { mode: 0o600 });
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2), { mode: 0o600 });
  return { file, path, manifestPath, manifest };
}

/**
 * Every entry under `folder` (recursively, by relative path) with the sha256 of a file's bytes
 * or "folder": "nothing changed here" made checkable with one toEqual.
 */
export function folderDigest(folder: string): Record<string, string> {
  const result: Record<string, string> = {};
  const paths = readdirSync(folder, { withFileTypes: true, recursive: true })
    .map((entry) => ({ entry, path: join(entry.parentPath, entry.name) }))
    .sort((a, b) => a.path.localeCompare(b.path));
  for (const { entry, path } of paths) {
    result[relative(folder, path)] = entry.isFile()
      ? createHash("sha256").update(readFileSync(path)).digest("hex")
      : "folder";
  }
  return result;
}
