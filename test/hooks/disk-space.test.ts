// failIfDiskFull on a real, small tmpfs: quiet while there is room, a clear error once full.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { DiskFullError, failIfDiskFull } from "../../hooks/disk-space.js";
import { mountSmallDisk, type SmallDisk } from "../support/small-disk.js";

let base: string;
let disk: SmallDisk;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "guardrail-disk-space-"));
  disk = mountSmallDisk(join(base, "disk"), 2048);
});

afterEach(() => {
  disk.release();
  rmSync(base, { recursive: true, force: true });
});

describe("failIfDiskFull", () => {
  test("resolves while the disk has room", async () => {
    await expect(failIfDiskFull(disk.path, "testing abc1234")).resolves.toBeUndefined();
  });

  test("throws a DiskFullError naming the folder, the step and the space once it is full", async () => {
    const fd = openSync(join(disk.path, "ballast"), "w");
    try {
      for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
    } catch (error) {
      expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
    } finally {
      closeSync(fd);
    }

    const failure = failIfDiskFull(disk.path, "testing abc1234");
    await expect(failure).rejects.toBeInstanceOf(DiskFullError);
    await expect(failure).rejects.toThrow(
      new RegExp(
        `^no space left on device: the disk of the temp folder ${disk.path} filled up while ` +
          `testing abc1234 \\(0 KiB free of 2048 KiB\\)$`,
      ),
    );
    await expect(failure).rejects.toMatchObject({ hint: expect.stringContaining("larger disk") });
  });

  test("resolves when the space cannot be read, leaving the step's own failure to be reported", async () => {
    await expect(failIfDiskFull(join(base, "missing"), "testing")).resolves.toBeUndefined();
  });
});
