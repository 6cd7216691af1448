import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../shared/log.js";
import { digestGzip } from "../../daemon/compress.js";
import { BackupBusyError, acquireLock } from "../../daemon/lock.js";
import { ManifestSchema, TEMP_PREFIX } from "../../daemon/manifest.js";
import { runBackup, type BackupResult } from "../../daemon/run-backup.js";
import { takeSnapshot } from "../../daemon/snapshot.js";
import {
  configFor,
  makeWorkspace,
  query,
  seedDatabase,
  startWriter,
  type Workspace,
} from "../support/backup-env.js";

const logger = createLogger({ level: "silent" });
let ws: Workspace;

beforeEach(async () => {
  ws = await makeWorkspace();
});
afterEach(async () => ws.tmp.cleanup());

function backup(env: Record<string, string> = {}): Promise<BackupResult> {
  return runBackup({ config: configFor({ ...ws.env, ...env }), logger, prune: false });
}

/** Unpacks a published backup into a plain database file and returns its path. */
async function unpack(result: BackupResult): Promise<string> {
  const out = join(ws.tmp.path, `restored-${result.file}.sqlite3`);
  await digestGzip(result.path!, undefined, out);
  return out;
}

function dump(path: string): string {
  return execFileSync("sqlite3", [path, ".dump"], { encoding: "utf8" });
}

function files(): string[] {
  return readdirSync(ws.dir).sort();
}

describe("one backup", () => {
  it("is consistent while a writer process commits every few milliseconds, and matches the source at the snapshot", async () => {
    seedDatabase(ws.db, 2000);
    const writer = await startWriter(ws.db, "continuous", 2);
    let result: BackupResult;
    try {
      result = await backup();
    } finally {
      await writer.stop();
    }
    expect(result.outcome, result.error).toBe("ok");
    const restored = await unpack(result);

    // Consistent: the counter written in the same transaction as each row agrees with the rows.
    const [state] = query<{ rows: number; maxId: number; last: number }>(
      restored,
      "SELECT count(*) AS rows, max(id) AS maxId, (SELECT value FROM counters WHERE name = 'last') AS last FROM events",
    );
    expect(state!.rows).toBeGreaterThanOrEqual(2001);
    expect(state!.maxId).toBe(state!.rows);
    expect(state!.last).toBe(state!.rows);
    expect(result.manifest!.tables).toEqual({ counters: 1, events: state!.rows });

    // The source cut back to the snapshot's last row dumps exactly like the backup.
    const cut = join(ws.tmp.path, "source-at-snapshot.sqlite3");
    execFileSync("sqlite3", [ws.db, `.backup '${cut}'`]);
    execFileSync("sqlite3", [
      cut,
      `DELETE FROM events WHERE id > ${state!.rows}; UPDATE counters SET value = ${state!.rows};`,
    ]);
    expect(query<{ n: number }>(ws.db, "SELECT count(*) AS n FROM events")[0]!.n).toBeGreaterThan(
      state!.rows,
    );
    expect(dump(restored)).toBe(dump(cut));
  });

  it("includes commits held only in the WAL and leaves the app's -wal and -shm as they were", async () => {
    seedDatabase(ws.db, 10);
    const writer = await startWriter(ws.db, "hold", 500, { noCheckpoint: true });
    const walBefore = statSync(`${ws.db}-wal`).size;
    const shmBefore = readFileSync(`${ws.db}-shm`);
    try {
      expect(walBefore).toBeGreaterThan(0);
      const result = await backup();
      expect(result.outcome, result.error).toBe("ok");
      expect(query(await unpack(result), "SELECT count(*) AS n FROM events")).toEqual([{ n: 510 }]);
      expect(statSync(`${ws.db}-wal`).size).toBe(walBefore);
    } finally {
      // SIGKILL: the writer must not checkpoint on close, so the commits stay in the WAL.
      await writer.kill();
    }

    // Now the backup's connection is the only one: closing it must not checkpoint or delete.
    const again = await backup();
    expect(again.outcome, again.error).toBe("ok");
    expect(statSync(`${ws.db}-wal`).size).toBe(walBefore);
    expect(readFileSync(`${ws.db}-shm`).length).toBe(shmBefore.length);
    expect(query(await unpack(again), "SELECT count(*) AS n FROM events")).toEqual([{ n: 510 }]);
  });

  it("publishes a gzip and a manifest with mode 0600 and leaves no temporary files", async () => {
    seedDatabase(ws.db, 300);
    const result = await backup({ BACKUP_GZIP_LEVEL: "9" });
    expect(result.outcome, result.error).toBe("ok");
    expect(result.file).toMatch(/^tasks-\d{8}-\d{4}\.sqlite3\.gz$/);
    expect(files()).toEqual([result.file, result.file!.replace(".sqlite3.gz", ".json")].sort());
    expect(statSync(result.path!).mode & 0o777).toBe(0o600);
    expect(statSync(join(ws.dir, result.file!.replace(".sqlite3.gz", ".json"))).mode & 0o777).toBe(
      0o600,
    );
    const manifest = ManifestSchema.parse(
      JSON.parse(readFileSync(join(ws.dir, result.file!.replace(".sqlite3.gz", ".json")), "utf8")),
    );
    expect(manifest.check).toEqual({ kind: "quick", result: "ok" });
    expect(manifest.gzipLevel).toBe(9);
    expect(manifest.compressed.bytes).toBe(statSync(result.path!).size);
    expect(manifest.tables.events).toBe(300);
  });

  it("never overwrites: a second backup in the same minute gets the next sequence number", async () => {
    seedDatabase(ws.db, 10);
    const first = await backup();
    const second = await backup();
    expect([first.outcome, second.outcome]).toEqual(["ok", "ok"]);
    // Different names unless the minute changed between the runs.
    expect(second.file).not.toBe(first.file);
    if (first.file!.slice(0, 19) === second.file!.slice(0, 19)) {
      expect(second.file).toMatch(/-2\.sqlite3\.gz$/);
    }
  });

  it("keeps the newest run when runs in one minute are pruned between them", async () => {
    seedDatabase(ws.db, 10);
    const runs: BackupResult[] = [];
    for (let i = 0; i < 3; i++) {
      const pruned = configFor({ ...ws.env });
      runs.push(await runBackup({ config: pruned, logger, prune: true }));
    }
    expect(runs.map((run) => run.outcome)).toEqual(["ok", "ok", "ok"]);
    // One day bucket: retention keeps one backup, and it must be the last run's.
    const kept = files().filter((file) => file.endsWith(".sqlite3.gz"));
    expect(kept).toEqual([runs[2]!.file]);
  });

  it("fails a corrupt source loudly, publishes nothing and leaves older backups untouched", async () => {
    seedDatabase(ws.db, 3000, 200);
    const good = await backup();
    expect(good.outcome, good.error).toBe("ok");
    const before = files().map((file) => [
      file,
      readFileSync(join(ws.dir, file)).toString("base64"),
    ]);

    // Overwrite pages in the middle of the table's b-tree with garbage.
    const bytes = readFileSync(ws.db);
    bytes.fill(0x5a, 8 * 4096, 40 * 4096);
    writeFileSync(ws.db, bytes);

    const bad = await backup();
    expect(bad.outcome).toBe("failed");
    expect(["snapshot", "verify"]).toContain(bad.failedStep);
    expect(bad.error).toMatch(/corrupt|malformed|check failed|not a database/i);
    const after = files().map((file) => [
      file,
      readFileSync(join(ws.dir, file)).toString("base64"),
    ]);
    expect(after).toEqual(before);
  });

  it("refuses to write the snapshot over the database itself", async () => {
    seedDatabase(ws.db, 1);
    await expect(takeSnapshot(ws.db, ws.db)).rejects.toThrow(/over the database itself/);
    expect(query(ws.db, "SELECT count(*) AS n FROM events")).toEqual([{ n: 1 }]);
  });

  it("reports a missing database instead of creating it", async () => {
    seedDatabase(ws.db, 1);
    const config = configFor(ws.env);
    execFileSync("rm", ["-f", ws.db, `${ws.db}-wal`, `${ws.db}-shm`]);
    const result = await runBackup({ config, logger, prune: false });
    expect(result.outcome).toBe("failed");
    expect(result.failedStep).toBe("snapshot");
    expect(result.error).toContain(ws.db);
    expect(existsSync(ws.db)).toBe(false);
    expect(files().filter((file) => file.startsWith(TEMP_PREFIX))).toEqual([]);
  });

  it("fails when BACKUP_TIMEOUT passes, naming the variable, and removes its temporary files", async () => {
    seedDatabase(ws.db, 20_000, 200);
    const result = await backup({ BACKUP_TIMEOUT: "1ms" });
    expect(result.outcome).toBe("failed");
    expect(result.error).toContain("BACKUP_TIMEOUT");
    expect(files()).toEqual([]);
  });

  it("does not overlap another process's backup: a held lock makes the run busy", async () => {
    seedDatabase(ws.db, 1);
    const lock = await acquireLock(ws.dir);
    try {
      // The lock is ours, so fake another owner: a live pid that is not this process.
      writeFileSync(
        lock.path,
        JSON.stringify({ pid: process.ppid, host: (await import("node:os")).hostname() }),
      );
      const result = await backup();
      expect(result.outcome).toBe("busy");
      expect(result.error).toContain(`pid ${process.ppid}`);
      await expect(acquireLock(ws.dir)).rejects.toBeInstanceOf(BackupBusyError);
    } finally {
      await lock.release();
    }
  });

  it("takes over a lock left by a process that no longer exists", async () => {
    seedDatabase(ws.db, 1);
    const dead = execFileSync(process.execPath, ["-e", "console.log(process.pid)"], {
      encoding: "utf8",
    });
    writeFileSync(
      join(ws.dir, ".guardrail-backup.lock"),
      JSON.stringify({ pid: Number(dead), host: (await import("node:os")).hostname() }),
    );
    const result = await backup();
    expect(result.outcome, result.error).toBe("ok");
    expect(existsSync(join(ws.dir, ".guardrail-backup.lock"))).toBe(false);
  });
});
