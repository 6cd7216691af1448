// What a crashed run leaves behind: temporary files, and a manifest published without its
// backup (the manifest is linked into place first, see publish.ts). Nothing else in the folder
// is ever touched: it may hold files that are not ours.
import { lstat, readdir, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { acquireLock, BackupBusyError } from "./lock.js";
import {
  BACKUP_SUFFIX,
  ManifestSchema,
  MANIFEST_SUFFIX,
  TEMP_PREFIX,
  parseBackupName,
} from "./manifest.js";

/**
 * Removes leftovers of earlier runs from `dir` and returns their names: regular files under the
 * temporary prefix, and manifests written by this program whose backup is missing. Call only
 * while holding the folder's lock: another process's files in flight look exactly like
 * leftovers.
 */
export async function removeLeftovers(dir: string): Promise<string[]> {
  const files = await readdir(dir);
  const present = new Set(files);
  const removed: string[] = [];

  for (const file of files) {
    const path = join(dir, file);
    const leftover = file.startsWith(TEMP_PREFIX)
      ? await isRegularFile(path)
      : await isOrphanManifest(dir, file, present);
    if (!leftover) continue;
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
    removed.push(file);
  }
  return removed;
}

/**
 * True for `<backup name>.json` whose backup is absent and whose content is a manifest naming
 * that backup. A JSON file that merely looks like our naming (someone's export) is not ours.
 */
async function isOrphanManifest(dir: string, file: string, present: Set<string>) {
  if (!file.endsWith(MANIFEST_SUFFIX)) return false;
  const backup = file.slice(0, -MANIFEST_SUFFIX.length) + BACKUP_SUFFIX;
  if (parseBackupName(backup) === undefined || present.has(backup)) return false;
  if (!(await isRegularFile(join(dir, file)))) return false;
  try {
    const text = await readFile(join(dir, file), "utf8");
    return ManifestSchema.parse(JSON.parse(text)).file === backup;
  } catch {
    return false;
  }
}

async function isRegularFile(path: string): Promise<boolean> {
  return lstat(path).then(
    (info) => info.isFile(),
    () => false,
  );
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
