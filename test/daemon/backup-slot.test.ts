import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { nextBackupSlot } from "../../daemon/backup-slot.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "guardrail-slot-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const touch = (...files: string[]) => files.forEach((file) => writeFileSync(join(dir, file), ""));
const at = (iso: string) => new Date(iso);

describe("the name slot of a new backup", () => {
  it("is the run's own minute, sequence 1, in an empty folder", async () => {
    expect(await nextBackupSlot(dir, "tasks", at("2026-12-03T10:15:42Z"))).toEqual({
      time: at("2026-12-03T10:15:00Z"),
      sequence: 1,
    });
  });

  it("follows the highest sequence of its minute, even when a lower one was pruned", async () => {
    touch("tasks-20261203-1015-2.sqlite3.gz", "tasks-20261203-1014.sqlite3.gz");
    expect(await nextBackupSlot(dir, "tasks", at("2026-12-03T10:15:59Z"))).toEqual({
      time: at("2026-12-03T10:15:00Z"),
      sequence: 3,
    });
  });

  it("stays after the newest backup when the clock was set back, and says so", async () => {
    touch("tasks-20261203-1000.sqlite3.gz", "tasks-20261203-1000-4.sqlite3.gz");
    expect(await nextBackupSlot(dir, "tasks", at("2026-12-02T10:00:00Z"))).toEqual({
      time: at("2026-12-03T10:00:00Z"),
      sequence: 5,
      clockBehind: "tasks-20261203-1000-4.sqlite3.gz",
    });
  });

  it("ignores other databases' backups and files it did not name", async () => {
    touch(
      "notes-20991231-2359.sqlite3.gz",
      "tasks-20260231-0000.sqlite3.gz",
      "tasks-20991231-2359.json",
      "tasks-20261203-0900.sqlite3.gz",
    );
    expect(await nextBackupSlot(dir, "tasks", at("2026-12-03T10:15:00Z"))).toEqual({
      time: at("2026-12-03T10:15:00Z"),
      sequence: 1,
    });
  });
});
