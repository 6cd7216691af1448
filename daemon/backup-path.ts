// Which backup file a command means: `verify` and `restore` take a path, or the bare name of a
// file in BACKUP_DIR (as `list` prints it), and must look where the daemon writes.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { BackupUnusableError } from "./unpack.js";

/**
 * BACKUP_DIR as the daemon resolves it: the variable, else `backups/` beside BACKUP_DB, else
 * `backups/` beside `fallbackDb` (restore's --to); undefined when nothing names a database.
 */
export function configuredBackupDir(
  env: NodeJS.ProcessEnv,
  fallbackDb?: string,
): string | undefined {
  if (env.BACKUP_DIR) return resolve(env.BACKUP_DIR);
  const db = env.BACKUP_DB || fallbackDb;
  return db ? join(dirname(resolve(db)), "backups") : undefined;
}

/**
 * The path of the backup `given` names. A name with a `/` is a path; a bare name is looked up
 * in `backupDir` first, then in the current folder. Throws BackupUnusableError saying where it
 * looked when there is no such file.
 */
export function resolveBackupPath(given: string, backupDir: string | undefined): string {
  if (given.includes("/")) {
    const path = resolve(given);
    if (existsSync(path)) return path;
    throw new BackupUnusableError(`${path} does not exist`, {
      hint: "give a backup file path, or the name of a file in BACKUP_DIR (see `list`)",
    });
  }
  const inDir = backupDir === undefined ? undefined : join(backupDir, given);
  if (inDir && existsSync(inDir)) return inDir;
  if (existsSync(given)) return resolve(given);
  const where = inDir
    ? `in BACKUP_DIR (${backupDir}) or the current folder`
    : "in the current folder (set BACKUP_DIR or BACKUP_DB to look in the backup folder)";
  throw new BackupUnusableError(`no backup named ${given} ${where}`, {
    hint: "`guardrail-backup list` shows the backups there",
  });
}
