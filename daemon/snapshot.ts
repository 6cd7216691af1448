// Step 1: a consistent copy of the live database, taken through SQLite (never a file copy).
import { open, realpath, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { GuardrailError } from "../shared/errors.js";
import { readJournalMode, type JournalMode } from "./journal-mode.js";
import { runSqliteJob, SqliteJobError } from "./sqlite-worker.js";

/** The source database cannot be read as a database. */
export class SnapshotError extends GuardrailError {}

/**
 * Copies `source` into the new file `target` with `VACUUM INTO` in a worker thread. The copy
 * includes every commit, WAL included; it holds one read transaction, so the app's writers go
 * on and the app's -wal/-shm are never checkpointed or removed (see sqlite-worker.ts). The
 * target is created here with mode 0600 and must not exist. The caller removes it on failure.
 */
export async function takeSnapshot(
  source: string,
  target: string,
  signal?: AbortSignal,
): Promise<{ bytes: number; journalMode: JournalMode }> {
  const realSource = await realpath(source).catch((error: unknown) => {
    throw new SnapshotError(`the database ${source} cannot be opened`, {
      cause: error,
      hint: "check BACKUP_DB and that this user can read the database and its folder",
    });
  });
  if (realSource === resolve(target)) {
    throw new SnapshotError(`refusing to write the snapshot over the database itself (${source})`);
  }
  // Recorded in the manifest: the copy itself is always in rollback mode (see journal-mode.ts).
  const journalMode = await readJournalMode(realSource);
  // VACUUM INTO accepts an existing empty file and keeps its mode.
  await (await open(target, "wx", 0o600)).close();

  try {
    await runSqliteJob({ kind: "snapshot", source: realSource, target }, signal);
  } catch (error) {
    if (!(error instanceof SqliteJobError)) throw error;
    throw new SnapshotError(`sqlite could not copy ${source}: ${error.message}`, {
      cause: error,
      hint: hintFor(error.code, source),
    });
  }

  // Some failure paths of SQLite's copy report success: make sure there is a copy.
  const { size } = await stat(target);
  if (size === 0) {
    throw new SnapshotError(`sqlite reported success but the copy of ${source} is empty`);
  }
  return { bytes: size, journalMode };
}

function hintFor(code: string | undefined, source: string): string {
  if (code === "SQLITE_NOTADB") {
    return `${source} is not a SQLite database; check that BACKUP_DB points at the app's database file`;
  }
  if (code === "SQLITE_CORRUPT") {
    return "the live database looks damaged; older backups are untouched, restore one of them";
  }
  return "check that the database is readable and the backup folder has free space";
}
