// Restore: put a verified backup in place of a stopped app's database, keeping the old database
// and its -wal/-shm beside it so the restore can be undone with a few `mv` commands.
import { randomBytes } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Logger } from "../shared/log.js";
import { Field } from "../shared/log.js";
import { resolveBackupPath } from "./backup-path.js";
import { listBackups } from "./catalog.js";
import { inspectDatabase } from "./inspect-db.js";
import { readJournalMode, setJournalMode, type JournalMode } from "./journal-mode.js";
import { TEMP_PREFIX, databaseBaseName, type Manifest } from "./manifest.js";
import { refuseIfInUse } from "./restore-guard.js";
import {
  RestoreRefusedError,
  asideSuffix,
  keepOwnerAndMode,
  moveAside,
  resolveRestoreTarget,
  undoCommands,
  type RestoreTarget,
} from "./restore-target.js";
import { syncDir } from "./publish.js";
import { BackupUnusableError, readManifestFor, unpackBackup } from "./unpack.js";

export { RestoreRefusedError };

export interface RestoreRequest {
  /** A backup file path, or the name of a file in `backupDir`; undefined with `latest`. */
  backup: string | undefined;
  latest: boolean;
  /** The database path to restore into. */
  to: string;
  /** Restore even while other processes hold the database open. */
  force: boolean;
  backupDir: string;
  now?: Date;
}

export interface RestoreReport {
  backup: string;
  database: string;
  /** Each file moved aside, from its old name to its new one. */
  movedAside: { from: string; to: string }[];
  bytes: number;
  /** The journal mode the restored file was given, and why that one. */
  journalMode: JournalMode;
  journalModeReason: string;
  durationMs: number;
  /** Shell commands that put the old database back (run with the app stopped). */
  undo: string[];
  /** What the last check for other processes using the database found (restore-guard.ts). */
  inUseCheck: string;
}

/**
 * Verifies the backup (hash, then integrity_check of the decompressed copy in the target's
 * folder), refuses while another process holds the database unless `force`, moves the database
 * and its -wal/-shm aside together, renames the restored file into place and checks it. Any
 * failure before the rename leaves every existing file as it was.
 */
export async function restoreBackup(request: RestoreRequest, log: Logger): Promise<RestoreReport> {
  const started = performance.now();
  const target = await resolveRestoreTarget(request.to);
  const backupPath = await resolveBackup(request, target);
  await refuseIfInUse(target, request.force, log);

  const manifest = await readManifestFor(backupPath);
  if (manifest.database.name !== databaseBaseName(target.path)) {
    throw new RestoreRefusedError(
      `${basename(backupPath)} is a backup of "${manifest.database.name}", not of ${target.path}`,
      { hint: "pick a backup of this database, or check the --to path" },
    );
  }

  const temp = join(target.dir, `${TEMP_PREFIX}restore-${randomBytes(6).toString("hex")}`);
  let suffix: string;
  let journal: { mode: JournalMode; why: string };
  let inUseCheck: string;
  try {
    await unpackBackup(backupPath, manifest, temp);
    const facts = inspectRestored(temp, backupPath);
    if (facts.check !== "ok") {
      throw new BackupUnusableError(`${backupPath} fails integrity_check: ${facts.check}`, {
        hint: "use an older backup (see `list`)",
      });
    }
    journal = await journalModeFor(target, manifest);
    // VACUUM INTO wrote a rollback-mode file; the app expects what it had (see journal-mode.ts).
    if (journal.mode === "wal") setJournalMode(temp, "wal");
    if (target.original) await keepOwnerAndMode(temp, target);
    // Again just before the move: the app may have started during the unpack.
    inUseCheck = await refuseIfInUse(target, request.force, log);
    suffix = await asideSuffix(target.companions, request.now ?? new Date());
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }

  const movedAside = await moveAside(target.companions, suffix, temp);
  await rename(temp, target.path);
  await syncDir(target.dir);
  // Read-write, so a WAL file is left without -wal/-shm owned by this user (inspect-db.ts).
  const check = inspectDatabase(target.path, {
    full: false,
    foreignKeys: false,
    writable: true,
  }).check;
  if (check !== "ok") {
    throw new RestoreRefusedError(`the restored ${target.path} fails quick_check: ${check}`, {
      hint: `undo with: ${undoCommands(target, movedAside).join(" && ")}`,
    });
  }

  const report: RestoreReport = {
    backup: backupPath,
    database: target.path,
    movedAside,
    bytes: manifest.uncompressed.bytes,
    journalMode: journal.mode,
    journalModeReason: journal.why,
    durationMs: Math.round(performance.now() - started),
    undo: undoCommands(target, movedAside),
    inUseCheck,
  };
  log.info(
    { [Field.file]: backupPath, [Field.db]: target.path, [Field.durationMs]: report.durationMs },
    "restore done",
  );
  return report;
}

/** integrity_check of the unpacked copy; a file SQLite cannot open at all is an unusable backup. */
function inspectRestored(temp: string, backupPath: string): { check: string } {
  try {
    return inspectDatabase(temp, { full: true, foreignKeys: false });
  } catch (cause) {
    throw new BackupUnusableError(`${backupPath} does not hold a SQLite database`, {
      cause,
      hint: "use another backup (see `list`); this one cannot be restored",
    });
  }
}

/** The replaced database's mode; with none, the backed-up database's; else WAL. */
async function journalModeFor(
  target: RestoreTarget,
  manifest: Manifest,
): Promise<{ mode: JournalMode; why: string }> {
  if (target.original) {
    return { mode: await readJournalMode(target.path), why: "as the replaced database had" };
  }
  if (manifest.sqlite.journalMode) {
    return { mode: manifest.sqlite.journalMode, why: "as the backed-up database had" };
  }
  return { mode: "wal", why: "the default: no database to replace, and the manifest has none" };
}

/** The backup to restore: `--latest`, a path, or a name in BACKUP_DIR. */
async function resolveBackup(request: RestoreRequest, target: RestoreTarget): Promise<string> {
  if (request.latest) {
    const entries = await listBackups(request.backupDir, databaseBaseName(target.path));
    const newest = entries.find((entry) => entry.verified);
    if (!newest) {
      throw new BackupUnusableError(
        `no verified backup of ${target.path} in ${request.backupDir}`,
        {
          hint: "run `guardrail-backup list` to see what is there",
        },
      );
    }
    return newest.path;
  }
  if (!request.backup) throw new RestoreRefusedError("name a backup to restore, or use --latest");
  return resolveBackupPath(request.backup, request.backupDir);
}
