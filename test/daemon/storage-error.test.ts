import { open } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BackupDirError, explainStorageError } from "../../daemon/storage-error.js";

/** The error Node raises for `code` on `path` (the full-disk case runs for real in test/faults). */
function systemError(code: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: failed`), { code, path });
}

describe("explainStorageError", () => {
  it("names BACKUP_DIR for a missing folder, keeping the system error as the cause", async () => {
    const dir = "/nonexistent-guardrail-dir";
    const error = await open(join(dir, "x"), "wx").catch((caught: unknown) => caught);
    const explained = explainStorageError(error, dir);
    expect(explained).toBeInstanceOf(BackupDirError);
    expect((explained as Error).message).toBe(`BACKUP_DIR (${dir}) no longer exists`);
    expect((explained as Error).cause).toBe(error);
  });

  it("recognises a full disk anywhere in the cause chain, from the system or from SQLite", () => {
    for (const code of ["ENOSPC", "EDQUOT", "SQLITE_FULL"]) {
      const wrapped = new Error("sqlite could not copy", { cause: systemError(code) });
      expect((explainStorageError(wrapped, "/backups") as Error).message, code).toBe(
        "no space left on the disk of BACKUP_DIR (/backups)",
      );
    }
  });

  it("names BACKUP_DIR for permission errors inside it, and leaves those elsewhere alone", () => {
    const inside = systemError("EACCES", "/backups/.guardrail-backup.lock");
    expect((explainStorageError(inside, "/backups") as Error).message).toMatch(
      /^BACKUP_DIR \(\/backups\) is not writable by this user \(uid \d+\)$/,
    );
    for (const path of ["/app/data/tasks.db", "/backups-other/x", undefined]) {
      const elsewhere = systemError("EACCES", path);
      expect(explainStorageError(elsewhere, "/backups"), String(path)).toBe(elsewhere);
    }
  });
});
