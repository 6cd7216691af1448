// Removing a folder that hostile or careless tests have had their hands on: folders made
// unreadable or read-only (chmod 000, 555), and symlinks pointing anywhere on the machine.
import { chmod, lstat, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * Removes `root` and everything under it, and nothing outside it: symlinks are removed, never
 * followed, and folders are made accessible to their owner first so that their contents can go.
 * Idempotent (a missing `root` is fine). Throws when something stays, e.g. a file owned by
 * another user; the caller reports it. Nothing may still be writing in `root` (the caller stops
 * the processes first): a folder swapped for a symlink between the check and the chmod would
 * otherwise be followed.
 */
export async function removeTree(root: string): Promise<void> {
  try {
    await rm(root, { recursive: true, force: true });
    return;
  } catch {
    // Most often EACCES from a folder whose mode forbids listing or deleting; fix modes, retry.
  }
  await makeRemovable(root);
  await rm(root, { recursive: true, force: true });
}

/** Gives the owner rwx on every folder under `path`, top down, never through a symlink. */
async function makeRemovable(path: string): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  // lstat, not stat: a symlink is a leaf here whatever it points at.
  if (!info?.isDirectory()) return;
  // A folder owned by someone else keeps its mode; rm then names it in its error.
  await chmod(path, 0o700).catch(() => {});
  const entries = await readdir(path).catch(() => [] as string[]);
  for (const entry of entries) await makeRemovable(join(path, entry));
}
