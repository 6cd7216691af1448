// The journal mode a database file is in. WAL is the only mode SQLite keeps in the file itself
// (header bytes 18 and 19, the write and read format versions, are 2 in WAL mode); the rollback
// modes are per connection, so a file is either "wal" or "delete" here. VACUUM INTO always
// writes a rollback-mode file, so a restore or drill has to put WAL back itself.
import Database from "better-sqlite3";
import { open } from "node:fs/promises";

export type JournalMode = "wal" | "delete";

/** The persistent journal mode of the database file at `path` (reads its header only). */
export async function readJournalMode(path: string): Promise<JournalMode> {
  const handle = await open(path, "r");
  try {
    const header = Buffer.alloc(20);
    const { bytesRead } = await handle.read(header, 0, 20, 0);
    return bytesRead === 20 && header[18] === 2 && header[19] === 2 ? "wal" : "delete";
  } finally {
    await handle.close();
  }
}

/**
 * Puts the file at `path` in `mode`. The file must not be in use: closing the only connection
 * checkpoints and removes the -wal/-shm it made, so only the database file is left.
 */
export function setJournalMode(path: string, mode: JournalMode): void {
  const db = new Database(path, { fileMustExist: true });
  try {
    const now = String(db.pragma(`journal_mode = ${mode}`, { simple: true }));
    if (now !== mode) throw new Error(`sqlite left ${path} in journal_mode ${now}, not ${mode}`);
  } finally {
    db.close();
  }
}
