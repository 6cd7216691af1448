// Where a restore writes, what is already there, and the file moves: the database and its
// -wal/-shm/-journal companions move aside together, so a restore never blends old WAL pages or
// a hot rollback journal into new data.
import { chmod, chown, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { GuardrailError } from "../shared/errors.js";
import { shellQuote } from "./shell-quote.js";

/** Why a restore refused to change anything. */
export class RestoreRefusedError extends GuardrailError {}

export interface RestoreTarget {
  /** Absolute path of the database, its folder resolved through symlinks. */
  path: string;
  dir: string;
  /** The database, -wal, -shm and -journal paths, in that order. */
  companions: [string, string, string, string];
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
    companions: [path, `${path}-wal`, `${path}-shm`, `${path}-journal`],
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

/** Gives the restored file the current database's owner and mode, or refuses. */
export async function keepOwnerAndMode(temp: string, target: RestoreTarget): Promise<void> {
  const { uid, gid, mode } = target.original!;
  try {
    const info = await stat(temp);
    if (info.uid !== uid || info.gid !== gid) await chown(temp, uid, gid);
    await chmod(temp, mode);
  } catch (cause) {
    throw new RestoreRefusedError(`cannot give the restored file the owner ${uid}:${gid}`, {
      cause,
      hint: "run restore as the database's owner, or as root",
    });
  }
}

/** Renames each existing companion to `<name><suffix>`; on failure, puts back what moved. */
export async function moveAside(
  paths: readonly string[],
  suffix: string,
  temp: string,
): Promise<{ from: string; to: string }[]> {
  const moved: { from: string; to: string }[] = [];
  try {
    for (const from of paths) {
      const exists = await stat(from).then(
        () => true,
        () => false,
      );
      if (!exists) continue;
      await rename(from, from + suffix);
      moved.push({ from, to: from + suffix });
    }
  } catch (error) {
    for (const { from, to } of moved.reverse()) await rename(to, from).catch(() => {});
    await rm(temp, { force: true });
    throw new RestoreRefusedError("could not move the current database aside", { cause: error });
  }
  return moved;
}

/** Shell commands that remove the restored files and put back what was moved aside. */
export function undoCommands(
  target: RestoreTarget,
  moved: { from: string; to: string }[],
): string[] {
  const commands = [`rm -f -- ${target.companions.map(shellQuote).join(" ")}`];
  for (const { from, to } of moved) commands.push(`mv -- ${shellQuote(to)} ${shellQuote(from)}`);
  return commands;
}
