// A full disk under BACKUP_DIR (a real tmpfs of a fixed size, so ENOSPC is real) while the
// daemon backs up a live database: the run fails cleanly, naming the full disk; the older backup
// stays byte-identical; /health turns red; an alert reaches a real HTTP server.
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  makeWorkspace,
  seedDatabase,
  startDaemonProcess,
  startWriter,
  type DaemonProcess,
  type Workspace,
  type Writer,
} from "../support/backup-env.js";
import {
  expectOnlyVerifiedBackups,
  hashFinalFiles,
  temporaryNames,
  waitFor,
} from "../support/backup-faults.js";
import { startHttpRecorder, type HttpRecorder } from "../support/http-recorder.js";
import { processesUsing } from "../support/processes.js";
import { mountSmallDisk, type SmallDisk } from "../support/small-disk.js";

const DISK_KIB = 4096;

let ws: Workspace;
let disk: SmallDisk | undefined;
let recorder: HttpRecorder;
let writer: Writer | undefined;
let daemon: DaemonProcess | undefined;

beforeEach(async () => {
  ws = await makeWorkspace();
  recorder = await startHttpRecorder();
});

afterEach(async () => {
  daemon?.child.kill("SIGKILL");
  await daemon?.exited;
  daemon = undefined;
  await writer?.stop();
  writer = undefined;
  disk?.release();
  disk = undefined;
  await recorder.close();
  await ws.tmp.cleanup();
});

/** Adds `kib` KiB of random (incompressible) data to the database, as the app would. */
function grow(db: string, kib: number): void {
  const handle = new Database(db);
  handle.exec("CREATE TABLE IF NOT EXISTS attachments (id INTEGER PRIMARY KEY, data BLOB)");
  const insert = handle.prepare("INSERT INTO attachments (data) VALUES (randomblob(16384))");
  handle.transaction(() => {
    for (let i = 0; i < kib / 16; i++) insert.run();
  })();
  handle.close();
}

describe("a full disk under BACKUP_DIR", () => {
  // Snapshot: the database is larger than the whole disk. Compression: the snapshot fits, but
  // not the snapshot and its (incompressible) gzip together.
  for (const [phase, step, growKiB] of [
    ["snapshot", "snapshot", DISK_KIB * 1.5],
    ["compression", "compress", DISK_KIB * 0.6],
  ] as const) {
    it(`during the ${phase}: the run fails naming the full disk, the older backup stays byte-identical, no temporary file is left, /health is 503 and an alert is posted`, async () => {
      disk = mountSmallDisk(join(ws.tmp.path, "disk"), DISK_KIB, "0700");
      const env = {
        ...ws.env,
        BACKUP_DIR: disk.path,
        BACKUP_NOTIFY_URL: `${recorder.url}/notify`,
        BACKUP_HEARTBEAT_URL: `${recorder.url}/ping`,
        BACKUP_ALERT_ATTEMPTS: "1",
      };
      seedDatabase(ws.db, 100);
      daemon = await startDaemonProcess(env);
      // No backup yet: the daemon catches up at start.
      await daemon.waitForLine((line) => line.msg === "backup run finished");
      const older = hashFinalFiles(disk.path);
      expect(Object.keys(older)).toHaveLength(2);

      writer = await startWriter(ws.db, "continuous", 5);
      grow(ws.db, growKiB);
      daemon.child.kill("SIGUSR1");
      const failed = await daemon.waitForLine((line) => line.msg === "backup run failed");

      expect(failed.step).toBe(step);
      expect(failed.error).toContain(`no space left on the disk of BACKUP_DIR (${disk.path})`);
      expect(failed.hint).toContain("free space there");
      expect(hashFinalFiles(disk.path)).toEqual(older);
      await expectOnlyVerifiedBackups(disk.path);
      expect(temporaryNames(disk.path)).toEqual([]);

      const health = await daemon.get("/health");
      expect(health.status).toBe(503);
      expect(health.body).toContain(`the last backup failed at ${step}: no space left`);

      await waitFor(
        () => recorder.requests.some((request) => request.url === "/notify"),
        () => daemon?.child.exitCode === null,
        "the alert",
      );
      const alert = recorder.requests.find((request) => request.url === "/notify")!;
      expect(alert.method).toBe("POST");
      expect(JSON.parse(alert.body)).toMatchObject({
        event: "backup",
        step,
        db: ws.db,
        error: expect.stringContaining("no space left on the disk of BACKUP_DIR") as unknown,
      });
      await waitFor(
        () => recorder.requests.some((request) => request.url === "/ping/fail"),
        () => daemon?.child.exitCode === null,
        "the failure heartbeat",
      );

      daemon.child.kill("SIGTERM");
      expect(await daemon.exited).toBe(0);
      daemon = undefined;
      await writer.stop();
      writer = undefined;
      expect(processesUsing(ws.tmp.path)).toEqual([]);
    });
  }
});
