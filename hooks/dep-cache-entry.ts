// The files of one dependency cache entry: copying an installed node_modules into it read-only,
// proving later that nothing in it changed, linking it into a checkout, and removing it.
//
// Synchronous on purpose: an entry is a few hundred small files, and one call per file is a
// fraction of a millisecond each way, where a promise per call costs more than the call itself.
import { createHash } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { join } from "node:path";

const NO_WRITE = 0o7555;

/**
 * Copies the tree `from` to the new path `to`, every file and folder without write permission,
 * symlinks as they are. A copy, not hard links: bun's package cache hard-links its files into
 * node_modules, and an entry sharing those files could be changed through either.
 */
export function copyReadOnly(from: string, to: string): void {
  const mode = lstatSync(from).mode;
  mkdirSync(to);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) {
      copyReadOnly(source, target);
    } else if (entry.isSymbolicLink()) {
      symlinkSync(readlinkSync(source), target);
    } else if (entry.isFile()) {
      copyFileSync(source, target);
      chmodSync(target, lstatSync(source).mode & NO_WRITE);
    }
    // Sockets and FIFOs have no place in node_modules; they are left out.
  }
  // Last, once nothing more is written into it.
  chmodSync(to, mode & NO_WRITE);
}

/**
 * A digest of the tree's shape and of each file's identity, size, mode, modification time and
 * status-change time: a write, an added, removed or replaced file, or a chmod changes it. It
 * reads no contents, but ctime cannot be set back by an ordinary user, so a write made on
 * purpose with the modification time and mode put back still shows.
 */
export function fingerprintTree(root: string): string {
  const hash = createHash("sha256");
  const visit = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const info = lstatSync(path);
      const identity = [info.mode, info.size, info.mtimeMs, info.ctimeMs, info.ino];
      hash.update(`${rel}/${name}\0${identity.join("\0")}\n`);
      if (info.isDirectory()) visit(path, `${rel}/${name}`);
    }
  };
  const top = lstatSync(root);
  hash.update(`.\0${top.mode}\0${top.mtimeMs}\0${top.ctimeMs}\0${top.ino}\n`);
  visit(root, ".");
  return hash.digest("hex");
}

/**
 * Makes `projectDir/<folder>` (node_modules) a new, writable folder holding one symlink per
 * top-level name of the entry's `modules`. Tests can add files beside the packages (tools keep
 * caches in node_modules/.cache) but cannot write into the packages, which are the shared
 * read-only copy. Module resolution follows the links to the entry, where each package finds
 * the others.
 */
export function linkModules(modules: string, projectDir: string, folder = "node_modules"): void {
  const target = join(projectDir, folder);
  mkdirSync(target);
  try {
    for (const name of readdirSync(modules)) symlinkSync(join(modules, name), join(target, name));
  } catch (error) {
    // Half a node_modules would make the tests fail for the wrong reason.
    rmSync(target, { recursive: true, force: true });
    throw error;
  }
}

/** Removes a tree made by copyReadOnly: its folders get write permission back first. */
export function removeReadOnlyTree(root: string): void {
  const writable = (path: string) => {
    const info = lstatSync(path, { throwIfNoEntry: false });
    if (!info?.isDirectory()) return;
    chmodSync(path, 0o700);
    for (const name of readdirSync(path)) writable(join(path, name));
  };
  writable(root);
  rmSync(root, { recursive: true, force: true });
}
