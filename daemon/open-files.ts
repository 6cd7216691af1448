// Which processes hold a database open. Linux only: it reads /proc/<pid>/fd, which shows every
// process of the same user (all of them for root). Elsewhere it finds nobody, so restore's
// refusal to overwrite a live database depends on /proc.
import { readdir, readlink, readFile } from "node:fs/promises";

export interface OpenFileHolder {
  pid: number;
  /** The process's command name from /proc/<pid>/comm. */
  command: string;
  /** Which of the watched files it holds. */
  file: string;
}

/** True when this system has a /proc with per-process file descriptors. */
export async function canSeeOpenFiles(): Promise<boolean> {
  return readdir(`/proc/${process.pid}/fd`).then(
    () => true,
    () => false,
  );
}

/**
 * The processes other than this one that have any of `paths` (absolute, resolved) open.
 * Processes that exit or hide their descriptors during the scan are skipped.
 */
export async function findOpenHolders(paths: readonly string[]): Promise<OpenFileHolder[]> {
  const wanted = new Set(paths);
  const holders: OpenFileHolder[] = [];
  const entries = await readdir("/proc").catch(() => [] as string[]);

  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => "");
      // A file deleted while open reads as "<path> (deleted)"; it no longer matters here.
      if (!wanted.has(target)) continue;
      const command = await readFile(`/proc/${entry}/comm`, "utf8").catch(() => "?");
      holders.push({ pid: Number(entry), command: command.trim(), file: target });
      break;
    }
  }
  return holders;
}
