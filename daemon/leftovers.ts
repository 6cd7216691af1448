// What a crashed run leaves behind: temporary files, and a manifest published without its
// backup (the manifest is renamed into place first, see publish.ts).
import { readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { acquireLock, BackupBusyError } from "./lock.js";
import { BACKUP_SUFFIX, MANIFEST_SUFFIX, TEMP_PREFIX, parseBackupName } from "./manifest.js";

/**
 * Removes leftovers of earlier runs from `dir` and returns their names. Call only while holding
 * the folder's lock: another process's files in flight look exactly like leftovers.
 */
export async function removeLeftovers(dir: string): Promise<string[]> {
  const files = await readdir(dir);
  const present = new Set(files);
  const removed: string[] = [];

  for (const file of files) {
    const orphanManifest =
      file.endsWith(MANIFEST_SUFFIX) &&
      parseBackupName(file.slice(0, -MANIFEST_SUFFIX.length) + BACKUP_SUFFIX) !== undefined &&
      !present.has(file.slice(0, -MANIFEST_SUFFIX.length) + BACKUP_SUFFIX);
    if (!file.startsWith(TEMP_PREFIX) && !orphanManifest) continue;
    await unlink(join(dir, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    removed.push(file);
  }
  return removed;
}

/**
 * Removes leftovers at start-up when no other process is backing up into `dir` (it holds the
 * lock then, and its files are not leftovers). Returns the names removed; none when busy.
 */
export async function removeLeftoversIfIdle(dir: string): Promise<string[]> {
  let lock;
  try {
    lock = await acquireLock(dir);
  } catch (error) {
    if (error instanceof BackupBusyError) return [];
    throw error;
  }
  try {
    return await removeLeftovers(dir);
  } finally {
    await lock.release();
  }
}
