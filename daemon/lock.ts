// One backup at a time per folder, across processes: a lock file holding the owner's pid.
import { hostname } from "node:os";
import { join } from "node:path";
import { open, readFile, unlink } from "node:fs/promises";
import { GuardrailError } from "../shared/errors.js";

export const LOCK_FILE = ".guardrail-backup.lock";

/** Another live process holds the folder's lock. */
export class BackupBusyError extends GuardrailError {
  constructor(
    readonly path: string,
    readonly pid: number,
  ) {
    super(`another backup is running (pid ${pid}, lock ${path})`, {
      hint: "wait for it to finish; if no such process exists, remove the lock file",
    });
  }
}

export interface Lock {
  path: string;
  /** Removes the lock file; safe to call twice. */
  release(): Promise<void>;
}

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

/**
 * Takes the lock of `dir`, or throws BackupBusyError. A lock left by a process that no longer
 * exists on this host (a crash, a SIGKILL) is stale and taken over.
 */
export async function acquireLock(dir: string): Promise<Lock> {
  const path = join(dir, LOCK_FILE);
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    startedAt: new Date().toISOString(),
  };

  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, "wx", 0o600);
      await handle.writeFile(JSON.stringify(owner) + "\n");
      await handle.close();
      let released = false;
      return {
        path,
        release: async () => {
          if (released) return;
          released = true;
          await unlink(path).catch(() => {});
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readOwner(path);
    if (holder && isAlive(holder)) throw new BackupBusyError(path, holder.pid);
    // Stale: its owner is gone. Remove it and try again.
    await unlink(path).catch(() => {});
  }
  throw new GuardrailError(`cannot take the lock ${path}`, {
    hint: "another process keeps recreating it; check for a second backup daemon",
  });
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(path, "utf8")) as LockOwner;
    return typeof owner.pid === "number" ? owner : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(owner: LockOwner): boolean {
  // A lock from another host (a shared volume) cannot be checked by pid: treat it as held.
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
