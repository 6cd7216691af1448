// One backup at a time per folder, across processes: a lock file holding the owner's pid.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { link, readFile, rename, rm, unlink, writeFile } from "node:fs/promises";
import { GuardrailError } from "../shared/errors.js";
import { TEMP_PREFIX } from "./manifest.js";

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

/**
 * The lock files this process holds now. A lock naming this very pid is ours only if it is in
 * here: otherwise it was left by an earlier process that had the same pid (a container restart
 * makes the daemon pid 1 again) and is stale. Without this, a second acquire in this process (a
 * SIGUSR1 backup during the start-up cleanup) would take over the lock of a run still going.
 */
const held = new Set<string>();

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

  for (let attempt = 0; attempt < 10; attempt++) {
    if (await createLock(dir, path, owner)) {
      held.add(path);
      let released = false;
      return {
        path,
        release: async () => {
          if (released) return;
          released = true;
          held.delete(path);
          await unlink(path).catch(() => {});
        },
      };
    }
    const holder = await readOwner(path);
    // Gone meanwhile: its holder just released it. Try again; never remove what was not read.
    if (holder === "missing") continue;
    if (holder && isAlive(holder, path)) throw new BackupBusyError(path, holder.pid);
    await removeStale(dir, path, holder);
  }
  throw new GuardrailError(`cannot take the lock ${path}`, {
    hint: "another process keeps recreating it; check for a second backup daemon",
  });
}

/**
 * Creates the lock file with its content already in it: written under a temporary name, then
 * linked into place (link(2) fails if the lock exists). A lock created empty and filled after
 * would look stale, for an instant, to a process reading it, which would then take it too.
 */
async function createLock(dir: string, path: string, owner: LockOwner): Promise<boolean> {
  const temp = join(dir, `${TEMP_PREFIX}lock-${process.pid}-${randomBytes(4).toString("hex")}`);
  await rm(temp, { force: true });
  await writeFile(temp, JSON.stringify(owner) + "\n", { flag: "wx", mode: 0o600 });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    // ENOENT: the lock's holder, cleaning up leftovers, removed our temporary file.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOENT") return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/**
 * Removes a stale lock, unless another process replaced it meanwhile: the lock is first renamed
 * aside, and if what was moved is not the stale one read before, it is put back and that
 * process is reported as the holder.
 *
 * TODO(lock-takeover): when three or more processes meet the same stale lock at once, one may
 * take the lock while another puts back the lock it moved aside; only a crash followed by
 * several simultaneous starts can cause it. A kernel lock (flock) would close it; Node has none.
 */
async function removeStale(dir: string, path: string, stale: LockOwner | undefined) {
  const aside = join(
    dir,
    `${TEMP_PREFIX}stale-lock-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const moved = await readOwner(aside);
  if (moved && moved !== "missing" && JSON.stringify(moved) !== JSON.stringify(stale)) {
    await link(aside, path).catch(() => {});
    await unlink(aside).catch(() => {});
    throw new BackupBusyError(path, moved.pid);
  }
  await unlink(aside).catch(() => {});
}

/** The lock's owner; undefined when the file holds no owner (damaged); "missing" if absent. */
async function readOwner(path: string): Promise<LockOwner | undefined | "missing"> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return typeof owner.pid === "number" ? owner : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(owner: LockOwner, path: string): boolean {
  // A lock from another host (a shared volume) cannot be checked by pid: treat it as held.
  if (owner.host !== hostname()) return true;
  if (owner.pid === process.pid) return held.has(path);
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
