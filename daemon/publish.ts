// Step 4: move a finished backup and its manifest into place under their final names.
import { link, open, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GuardrailError } from "../shared/errors.js";
import type { BackupSlot } from "./backup-slot.js";
import { failpoint } from "./failpoint.js";
import { formatBackupName, manifestNameFor, TEMP_PREFIX, type Manifest } from "./manifest.js";

export interface Published {
  file: string;
  path: string;
  manifestPath: string;
}

/**
 * Publishes the gzip at `tempGzip` (already fsynced) as `<database>-YYYYMMDD-HHmm[-N].sqlite3.gz`
 * in `slot` (backup-slot.ts), with `manifest` (its `file` is filled in here) beside it. Names
 * are taken with link(2), which fails instead of overwriting, so a name in use (a run that
 * raced this one) moves on to the next sequence number. The manifest goes first: a crash
 * between the two leaves a manifest without a backup, which the next run removes, never a
 * backup that looks unverified. Removes `tempGzip`.
 */
export async function publishBackup(
  dir: string,
  tempGzip: string,
  database: string,
  slot: BackupSlot,
  manifest: Omit<Manifest, "file">,
): Promise<Published> {
  for (let sequence = slot.sequence; sequence < slot.sequence + 1000; sequence++) {
    const file = formatBackupName(database, slot.time, sequence);
    const path = join(dir, file);
    const manifestPath = join(dir, manifestNameFor(file));
    const tempManifest = join(dir, `${TEMP_PREFIX}${manifestNameFor(file)}`);

    await writeFileSynced(tempManifest, JSON.stringify({ ...manifest, file }, null, 2) + "\n");
    failpoint("publish:manifest-written");
    try {
      if (!(await linkNew(tempManifest, manifestPath))) continue;
      failpoint("publish:manifest-linked");
      if (!(await linkNew(tempGzip, path))) {
        await unlink(manifestPath);
        continue;
      }
    } finally {
      await unlink(tempManifest).catch(() => {});
    }
    failpoint("publish:linked");
    await unlink(tempGzip);
    await syncDir(dir);
    return { file, path, manifestPath };
  }
  throw new GuardrailError(`no free backup name in ${dir} for ${slot.time.toISOString()}`);
}

/** link(2) that reports an existing target as false instead of throwing. */
async function linkNew(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

async function writeFileSynced(path: string, text: string): Promise<void> {
  // "wx": never follows a link planted under the temporary name, never reuses another's file.
  const handle = await open(path, "wx", 0o600);
  try {
    await writeFile(handle, text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync of a folder, so that the names it holds survive a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
