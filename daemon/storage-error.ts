// The backup folder's own failures, said plainly: a full disk, a folder that became read-only,
// or one that vanished (an unmounted volume). System errors name only a code and a path; the
// person reading the alert needs to know it is BACKUP_DIR and what to do.
import { relative, isAbsolute } from "node:path";
import { GuardrailError } from "../shared/errors.js";

/** BACKUP_DIR is full, not writable, or gone; `cause` keeps the system or SQLite error. */
export class BackupDirError extends GuardrailError {}

const FULL = new Set(["ENOSPC", "EDQUOT", "SQLITE_FULL"]);
const READ_ONLY = new Set(["EACCES", "EPERM", "EROFS"]);

/**
 * Returns a BackupDirError for an error that is BACKUP_DIR's fault (found anywhere in the
 * `cause` chain), or `error` itself unchanged. A full disk is recognised whatever the path;
 * permission and missing-file errors only for paths inside `dir`.
 */
export function explainStorageError(error: unknown, dir: string): unknown {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const { code, path } = current as NodeJS.ErrnoException;
    if (code && FULL.has(code)) {
      return new BackupDirError(`no space left on the disk of BACKUP_DIR (${dir})`, {
        cause: error,
        hint: "free space there or point BACKUP_DIR at a larger disk (a backup needs about twice the database's size free while it runs); older backups are untouched",
      });
    }
    if (code && path !== undefined && inside(dir, path)) {
      if (READ_ONLY.has(code)) {
        return new BackupDirError(
          `BACKUP_DIR (${dir}) is not writable by this user (uid ${process.getuid?.()})`,
          {
            cause: error,
            hint: "give this user write access to the folder, or remount it read-write; older backups are untouched",
          },
        );
      }
      if (code === "ENOENT") {
        return new BackupDirError(`BACKUP_DIR (${dir}) no longer exists`, {
          cause: error,
          hint: "is its volume mounted? create the folder or fix the mount; it is not recreated while running, so that backups never fill the wrong disk",
        });
      }
    }
    current = current.cause;
  }
  return error;
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}
