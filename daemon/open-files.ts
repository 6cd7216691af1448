// Which processes hold a database open. Linux only: it reads /proc/<pid>/fd, which shows the
// processes of the same user in this PID namespace (all of them for root). Processes it may not
// look into are counted, not skipped in silence; sqlite-lock-probe.ts covers what /proc hides.
import { readdir, readlink, readFile } from "node:fs/promises";

export interface OpenFileHolder {
  pid: number;
  /** The process's command name from /proc/<pid>/comm. */
  command: string;
  /** Which of the watched files it holds. */
  file: string;
}

export interface OpenFileScan {
  holders: OpenFileHolder[];
  /** Processes whose descriptors this user may not read (other users' ones, unless root). */
  hidden: number;
}

/** True when this system has a /proc with per-process file descriptors. */
export async function canSeeOpenFiles(): Promise<boolean> {
  return readdir(`/proc/${process.pid}/fd`).then(
    () => true,
    () => false,
  );
}

/**
 * The processes other than this one that have any of `paths` (absolute, resolved) open, and how
 * many processes could not be looked into. Processes that exit during the scan are skipped.
 */
export async function findOpenHolders(paths: readonly string[]): Promise<OpenFileScan> {
  const wanted = new Set(paths);
  const holders: OpenFileHolder[] = [];
  let hidden = 0;
  const entries = await readdir("/proc").catch(() => [] as string[]);

  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const fds = await readdir(`/proc/${entry}/fd`).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "EACCES" || error.code === "EPERM") hidden++;
      return [] as string[];
    });
    for (const fd of fds) {
      const target = await readlink(`/proc/${entry}/fd/${fd}`).catch(() => "");
      // A file deleted while open reads as "<path> (deleted)"; it no longer matters here.
      if (!wanted.has(target)) continue;
      const command = await readFile(`/proc/${entry}/comm`, "utf8").catch(() => "?");
      holders.push({ pid: Number(entry), command: command.trim(), file: target });
      break;
    }
  }
  return { holders, hidden };
}
