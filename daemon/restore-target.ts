// Where a restore writes, and what is already there: the database and its -wal/-shm companions,
// which move aside together so a restore can never blend old WAL pages into new data.
import { realpath, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { GuardrailError } from "../shared/errors.js";

/** Why a restore refused to change anything. */
export class RestoreRefusedError extends GuardrailError {}

export interface RestoreTarget {
  /** Absolute path of the database, its folder resolved through symlinks. */
  path: string;
  dir: string;
  /** The database, -wal and -shm paths, in that order. */
  companions: [string, string, string];
  /** Owner and mode of the current database, kept for the restored file. */
  original: { uid: number; gid: number; mode: number } | undefined;
}

/** Resolves `to` and checks that it can be restored into; throws RestoreRefusedError. */
export async function resolveRestoreTarget(to: string): Promise<RestoreTarget> {
  const wanted = resolve(to);
  const dir = await realpath(dirname(wanted)).catch((cause: unknown) => {
    throw new RestoreRefusedError(`the folder of ${wanted} does not exist`, {
      cause,
      hint: "create the folder first, or check the --to path",
    });
  });
  const path = join(dir, basename(wanted));
  const info = await stat(path).catch(() => undefined);
  if (info && !info.isFile()) {
    throw new RestoreRefusedError(`${path} is not a database file (it is a folder or special)`, {
      hint: "give the path of the database file itself, e.g. /app/data/tasks.db",
    });
  }
  return {
    path,
    dir,
    companions: [path, `${path}-wal`, `${path}-shm`],
    original: info && { uid: info.uid, gid: info.gid, mode: info.mode & 0o7777 },
  };
}

/** `20261203T094012Z`: the time in the names of files moved aside. */
export function compactTime(time: Date): string {
  return time
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/** A suffix `.pre-restore-<time>[-N]` that none of `paths` carries yet. */
export async function asideSuffix(paths: readonly string[], time: Date): Promise<string> {
  for (let n = 1; ; n++) {
    const suffix = `.pre-restore-${compactTime(time)}${n > 1 ? `-${n}` : ""}`;
    const taken = await Promise.all(
      paths.map((p) =>
        stat(p + suffix).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (!taken.includes(true)) return suffix;
  }
}
