import Database from "better-sqlite3";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dir, type DirectoryResult } from "tmp-promise";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runDrill, type DrillOptions } from "../../daemon/drill.js";
import type { Manifest } from "../../daemon/manifest.js";
import { createLogger } from "../../shared/log.js";
import { createTasksDatabase, writeBackup } from "../support/backup-fixture.js";

const log = createLogger({ level: "silent" });
let tmp: DirectoryResult;
let db: string;

beforeEach(async () => {
  tmp = await dir({ unsafeCleanup: true });
  db = join(tmp.path, "tasks.db");
});
afterEach(async () => tmp.cleanup());

function drill(overrides: Partial<DrillOptions> = {}) {
  return runDrill({
    dir: tmp.path,
    db,
    command: undefined,
    commandTimeoutMs: 30_000,
    env: { PATH: process.env.PATH ?? "" },
    logger: log,
    ...overrides,
  });
}

function editManifest(path: string, change: (manifest: Manifest) => void): void {
  const manifest = JSON.parse(readFileSync(path, "utf8")) as Manifest;
  change(manifest);
  writeFileSync(path, JSON.stringify(manifest));
}

describe("restore drill", () => {
  it("hands BACKUP_DRILL_COMMAND a copy in WAL mode when the live database is in WAL mode", async () => {
    createTasksDatabase(db, 5);
    writeBackup(db, tmp.path, new Date("2026-11-01T03:00:00Z"));
    const proof = join(tmp.path, "mode.txt");

    const result = await drill({ command: `sqlite3 "$DRILL_DB" "PRAGMA journal_mode" > ${proof}` });

    expect(result.ok, result.error).toBe(true);
    expect(readFileSync(proof, "utf8").trim()).toBe("wal");
  });

  it("restores the newest verified backup and runs the command against it with DRILL_DB", async () => {
    createTasksDatabase(db, 5);
    writeBackup(db, tmp.path, new Date("2026-11-01T03:00:00Z"));
    createTasksDatabase(db, 7);
    writeBackup(db, tmp.path, new Date("2026-11-02T03:00:00Z"));
    const proof = join(tmp.path, "proof.txt");

    const result = await drill({
      command: `sqlite3 "$DRILL_DB" "SELECT count(*) FROM tasks" > ${proof}; echo "$DRILL_DB $DRILL_BACKUP" >> ${proof}`,
    });

    expect(result).toMatchObject({ ok: true, backup: "tasks-20261102-0300.sqlite3.gz" });
    expect(result.commandExitCode).toBe(0);
    expect(result.restoreMs).toBeGreaterThanOrEqual(0);
    const [count, seen] = readFileSync(proof, "utf8").trim().split("\n");
    expect(count).toBe("12");
    const [restored, backup] = seen!.split(" ");
    expect(backup).toBe("tasks-20261102-0300.sqlite3.gz");
    expect(restored).toMatch(/guardrail-drill-.*\/tasks\.db$/);
    expect(existsSync(restored!)).toBe(false);
  });

  it("fails when the command fails, with the end of its output", async () => {
    createTasksDatabase(db, 2);
    writeBackup(db, tmp.path, new Date("2026-11-01T03:00:00Z"));
    const result = await drill({ command: "echo health check failed: 502; exit 3" });
    expect(result).toMatchObject({ ok: false, commandExitCode: 3 });
    expect(result.error).toBe("BACKUP_DRILL_COMMAND exited 3: health check failed: 502");
  });

  it("fails when tables or row counts differ from the manifest", async () => {
    createTasksDatabase(db, 4);
    const backup = writeBackup(db, tmp.path, new Date("2026-11-01T03:00:00Z"));
    editManifest(backup.manifestPath, (manifest) => {
      manifest.tables.tasks = 5;
      manifest.tables.users = 1;
    });
    const result = await drill();
    expect(result.ok).toBe(false);
    expect(result.error).toContain("table tasks has 4 rows, not 5");
    expect(result.error).toContain("table users is missing");
  });

  it("fails when user_version differs from the manifest", async () => {
    createTasksDatabase(db, 1, 7);
    const backup = writeBackup(db, tmp.path, new Date("2026-11-01T03:00:00Z"));
    editManifest(backup.manifestPath, (manifest) => (manifest.sqlite.userVersion = 8));
    const result = await drill();
    expect(result.error).toContain("user_version is 7, not 8");
  });

  it("fails on rows that break a foreign key", async () => {
    createTasksDatabase(db, 1);
    const raw = new Database(db);
    // better-sqlite3 enforces foreign keys by default; the app that wrote this row did not.
    raw.pragma("foreign_keys = OFF");
    raw.prepare("INSERT INTO tags (task, tag) VALUES (999, 'orphan')").run();
    raw.close();
    writeBackup(db, tmp.path, new Date("2026-11-01T03:00:00Z"));
    const result = await drill();
    expect(result.ok).toBe(false);
    expect(result.error).toContain("foreign_key_check: 1 violations");
  });

  it("fails when there is no verified backup to drill", async () => {
    const result = await drill();
    expect(result).toMatchObject({ ok: false });
    expect(result.error).toMatch(/no verified backup of .*tasks\.db/);
  });
});
