// The backup file's name and the manifest written beside it: the contract between the backup
// pipeline, retention, replication, restore and drills.
import { z } from "zod";

/** Backups are named `<db>-YYYYMMDD-HHmm[-N].sqlite3.gz` (UTC); the manifest is `<same>.json`. */
export const BACKUP_SUFFIX = ".sqlite3.gz";
export const MANIFEST_SUFFIX = ".json";
/** Files being written carry this prefix until they are renamed into place. */
export const TEMP_PREFIX = ".guardrail-tmp-";

export const ManifestSchema = z.object({
  format: z.literal(1),
  /** The backup's file name, without directory. */
  file: z.string(),
  /** The source database: its path when backed up and its base name (`tasks` for tasks.db). */
  database: z.object({ path: z.string(), name: z.string() }),
  /** When the snapshot was taken (ISO 8601, UTC). */
  createdAt: z.string(),
  sqlite: z.object({
    pageSize: z.number().int(),
    pageCount: z.number().int(),
    userVersion: z.number().int(),
    version: z.string(),
    /** The live database's journal mode when backed up (absent in older manifests). */
    journalMode: z.enum(["wal", "delete"]).optional(),
  }),
  /** Row count per table of the snapshot (sqlite_% tables left out). */
  tables: z.record(z.string(), z.number().int()),
  check: z.object({ kind: z.enum(["quick", "full"]), result: z.string() }),
  uncompressed: z.object({ bytes: z.number().int(), sha256: z.string() }),
  compressed: z.object({ bytes: z.number().int(), sha256: z.string() }),
  gzipLevel: z.number().int(),
  timings: z.record(z.string(), z.number()),
  host: z.string(),
  guardrailVersion: z.string(),
});

export type Manifest = z.infer<typeof ManifestSchema>;

const NAME_PATTERN = /^(?<db>.+)-(?<date>\d{8})-(?<time>\d{4})(?:-(?<seq>\d+))?\.sqlite3\.gz$/;

export interface BackupName {
  /** The database base name, e.g. `tasks`. */
  database: string;
  /** The minute in the name, UTC. */
  time: Date;
  /** 1 for the first backup in a minute, 2.. for later ones. */
  sequence: number;
}

/** The database base name used in backup names: `tasks` for `/app/data/tasks.db`. */
export function databaseBaseName(databasePath: string): string {
  const file = databasePath.split("/").pop() ?? databasePath;
  return file.replace(/\.(db|sqlite3?|db3)$/i, "") || file;
}

/** The file name for a backup of `database` taken at `time` (UTC minute), with `sequence`. */
export function formatBackupName(database: string, time: Date, sequence = 1): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const date = `${time.getUTCFullYear()}${pad(time.getUTCMonth() + 1)}${pad(time.getUTCDate())}`;
  const minute = `${pad(time.getUTCHours())}${pad(time.getUTCMinutes())}`;
  const seq = sequence > 1 ? `-${sequence}` : "";
  return `${database}-${date}-${minute}${seq}${BACKUP_SUFFIX}`;
}

/** Parses a backup file name; undefined for any file this program did not name. */
export function parseBackupName(file: string): BackupName | undefined {
  const match = NAME_PATTERN.exec(file);
  const groups = match?.groups;
  if (!groups?.db || !groups.date || !groups.time) return undefined;
  const { date, time } = groups;
  const iso = `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${time.slice(0, 2)}:${time.slice(2, 4)}:00Z`;
  const parsed = new Date(iso);
  if (Number.isNaN(parsed.getTime())) return undefined;
  const sequence = groups.seq ? Number(groups.seq) : 1;
  // Only names this program writes: Date rolls 31 February or hour 24 over to a real time, and
  // "-1" or "-01" never appear, so a file named that way is someone else's and is left alone.
  if (formatBackupName(groups.db, parsed, sequence) !== file) return undefined;
  return { database: groups.db, time: parsed, sequence };
}

/** The manifest file name that belongs to a backup file name. */
export function manifestNameFor(backupFile: string): string {
  return backupFile.slice(0, -BACKUP_SUFFIX.length) + MANIFEST_SUFFIX;
}
