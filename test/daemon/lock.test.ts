import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireLock, BackupBusyError, LOCK_FILE } from "../../daemon/lock.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "guardrail-lock-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the folder lock within one process", () => {
  it("is busy for a second taker while the first holds it, and free after release", async () => {
    const first = await acquireLock(dir);
    await expect(acquireLock(dir)).rejects.toThrow(BackupBusyError);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"))).toMatchObject({
      pid: process.pid,
    });
    await first.release();
    const second = await acquireLock(dir);
    await second.release();
  });

  it("takes over a lock naming this pid that this process does not hold (a restarted container's pid 1)", async () => {
    const stale = { pid: process.pid, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z" };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(stale));
    const lock = await acquireLock(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).startedAt).not.toBe(
      stale.startedAt,
    );
    await lock.release();
  });
});
