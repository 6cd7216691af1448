import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nextBackupSlot } from "../../daemon/backup-slot.js";
import { makeWorkspace, type Workspace } from "../support/backup-env.js";
import { createTasksDatabase, writeBackup } from "../support/backup-fixture.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await makeWorkspace();
  createTasksDatabase(ws.db, 3);
});
afterEach(async () => ws.tmp.cleanup());

const at = (iso: string) => new Date(iso);
/** A real, verified backup (gzip and manifest) named for `iso` and `sequence`. */
const backupAt = (iso: string, sequence = 1) => writeBackup(ws.db, ws.dir, at(iso), sequence);

describe("the name slot of a new backup", () => {
  it("is the run's own minute, sequence 1, in an empty folder", async () => {
    expect(await nextBackupSlot(ws.dir, "tasks", at("2026-12-03T10:15:42Z"))).toEqual({
      time: at("2026-12-03T10:15:00Z"),
      sequence: 1,
    });
  });

  it("follows the highest sequence of its minute, even when a lower one was pruned", async () => {
    backupAt("2026-12-03T10:14:00Z");
    backupAt("2026-12-03T10:15:00Z", 2);
    expect(await nextBackupSlot(ws.dir, "tasks", at("2026-12-03T10:15:59Z"))).toEqual({
      time: at("2026-12-03T10:15:00Z"),
      sequence: 3,
    });
  });

  it("stays after the newest backup when the clock was set back, and says so", async () => {
    backupAt("2026-12-03T10:00:00Z");
    const newest = backupAt("2026-12-03T10:00:00Z", 4);
    expect(await nextBackupSlot(ws.dir, "tasks", at("2026-12-02T10:00:00Z"))).toEqual({
      time: at("2026-12-03T10:00:00Z"),
      sequence: 5,
      clockBehind: newest.file,
    });
  });

  it("ignores other databases' backups, unverified look-alikes and files it did not name", async () => {
    backupAt("2026-12-03T09:00:00Z");
    for (const stray of [
      "notes-20991231-2359.sqlite3.gz",
      "tasks-20991231-2359.sqlite3.gz",
      "tasks-20260231-0000.sqlite3.gz",
      "tasks-20991231-2358.json",
    ]) {
      writeFileSync(join(ws.dir, stray), "not ours\n");
    }
    expect(await nextBackupSlot(ws.dir, "tasks", at("2026-12-03T10:15:00Z"))).toEqual({
      time: at("2026-12-03T10:15:00Z"),
      sequence: 1,
    });
  });
});
