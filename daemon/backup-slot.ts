// Which name a new backup takes. Names order backups (retention keeps the newest by name), so
// a new backup's name must sort after every backup already in the folder:
// - a later run in the same minute takes the next sequence number after the highest there, not
//   the first free one (after a prune removed `-1`, reusing it would sort the newest backup
//   before an older `-2`, and retention would delete the freshest copy);
// - after the clock was set back, the name stays at the newest backup's minute, with the next
//   sequence number, so the freshest copy is not pruned as "older". The manifest's `createdAt`
//   keeps the clock's own time.
import { readdir } from "node:fs/promises";
import { parseBackupName } from "./manifest.js";

export interface BackupSlot {
  /** The minute for the name (UTC). */
  time: Date;
  /** The first sequence number to try in that minute. */
  sequence: number;
  /** The newest backup's file name when the clock is behind it. */
  clockBehind?: string;
}

/** The name slot for a backup of `database` started at `now` in `dir`. */
export async function nextBackupSlot(
  dir: string,
  database: string,
  now: Date,
): Promise<BackupSlot> {
  const minute = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  let newest: { file: string; time: number; sequence: number } | undefined;
  for (const file of await readdir(dir)) {
    const name = parseBackupName(file);
    if (!name || name.database !== database) continue;
    const time = name.time.getTime();
    if (!newest || time > newest.time || (time === newest.time && name.sequence > newest.sequence))
      newest = { file, time, sequence: name.sequence };
  }
  if (!newest || newest.time < minute.getTime()) return { time: minute, sequence: 1 };
  const slot = { time: new Date(newest.time), sequence: newest.sequence + 1 };
  return newest.time > minute.getTime() ? { ...slot, clockBehind: newest.file } : slot;
}
