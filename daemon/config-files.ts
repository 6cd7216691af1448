// The configuration checks that touch the disk: the database must exist (it is never created)
// and the backup folder must be a writable folder, created only when nothing else is wrong.
import { accessSync, constants, mkdirSync, statSync, type Stats } from "node:fs";
import { dirname } from "node:path";

/** Problems with BACKUP_DB: it must be an existing file. Creates nothing. */
export function databaseProblems(db: string): string[] {
  const info = statOrUndefined(db);
  if (!info) {
    return [
      `BACKUP_DB: ${db} does not exist (it is never created; point BACKUP_DB at the app's database)`,
    ];
  }
  return info.isFile() ? [] : [`BACKUP_DB: ${db} is not a file`];
}

/**
 * Problems with BACKUP_DIR. With `create`, a missing folder is made (mode 0700), with its
 * missing parents, one level at a time: Node's recursive mkdir loops forever where mkdir says
 * ENOENT under a parent that exists (/proc/foo). Without `create` a missing folder is left alone.
 */
export function backupDirProblems(dir: string, options: { create: boolean }): string[] {
  const info = statOrUndefined(dir);
  if (info && !info.isDirectory()) {
    return [`BACKUP_DIR: ${dir} is a file, not a folder; point BACKUP_DIR at a folder`];
  }
  if (!info) {
    if (!options.create) return [];
    const problem = createFolder(dir);
    if (problem) return [problem];
  }
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return [];
  } catch {
    return [`BACKUP_DIR: ${dir} is not writable by this user (uid ${process.getuid?.()})`];
  }
}

function createFolder(dir: string): string | undefined {
  // Walk up to the nearest existing folder, then make each missing level below it.
  const missing: string[] = [];
  let current = dir;
  let found = statOrUndefined(current);
  while (!found && dirname(current) !== current) {
    missing.unshift(current);
    current = dirname(current);
    found = statOrUndefined(current);
  }
  if (found && !found.isDirectory()) {
    return `BACKUP_DIR: ${dir} cannot be created: ${current} is a file, not a folder`;
  }
  for (const level of missing) {
    try {
      mkdirSync(level, { mode: 0o700 });
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      return `BACKUP_DIR: ${dir} cannot be created (${reason} at ${level}); create it, writable by this user`;
    }
  }
  return undefined;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
