// Which name a new backup takes. Names order backups (retention keeps the newest by name), so
// a new backup's name must sort after every backup already in the folder:
// - a later run in the same minute takes the next sequence number after the highest there, not
//   the first free one (after a prune removed `-1`, reusing it would sort the newest backup
//   before an older `-2`, and retention would delete the freshest copy);
// - after the clock was set back, the name stays at the newest backup's minute, with the next
//   sequence number, so the freshest copy is not pruned as "older". The manifest's `createdAt`
//   keeps the clock's own time.
import { listBackups } from "./catalog.js";

export interface BackupSlot {
  /** The minute for the name (UTC). */
  time: Date;
  /** The first sequence number to try in that minute. */
  sequence: number;
  /** The newest backup's file name when the clock is behind it. */
  clockBehind?: string;
}

/**
 * The name slot for a backup of `database` started at `now` in `dir`. Only verified backups
 * (with their manifest) count: a stray file that merely looks like a backup, say one copied in
 * by hand with a name far in the future, must not decide the names of every later backup.
 */
export async function nextBackupSlot(
  dir: string,
  database: string,
  now: Date,
): Promise<BackupSlot> {
  const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  // Newest first, by the time in the name, then the sequence.
  const newest = (await listBackups(dir, database)).find((entry) => entry.verified);
  if (!newest || newest.name.time < minute) return { time: minute, sequence: 1 };
  const slot = { time: newest.name.time, sequence: newest.name.sequence + 1 };
  return newest.name.time > minute ? { ...slot, clockBehind: newest.file } : slot;
}
