// Resource limits for pushed code (processes, file size, CPU time, no core dumps), set by the
// shell's own `ulimit` in front of the install and test commands: they bind the command and
// everything it starts, and nothing of the hook that supervises it.
import { readFileSync } from "node:fs";
import { z } from "zod";

export interface ResourceLimits {
  /** RLIMIT_NPROC. Counts every process and thread of the user, not of this run alone. */
  processes: number | undefined;
  /** RLIMIT_FSIZE in bytes: the largest file a process may write. */
  fileSizeBytes: number | undefined;
  /** RLIMIT_CPU in seconds, per process. */
  cpuSeconds: number | undefined;
}

/** The config key that sets each limit, for messages. */
export const LIMIT_KEYS = {
  processes: "guardrail.limitProcesses",
  fileSizeBytes: "guardrail.limitFileSize",
  cpuSeconds: "guardrail.limitCpuTime",
} as const satisfies Record<keyof ResourceLimits, string>;

// Defaults. The process limit is per user, and the hook runs as the git user that Forgejo
// itself runs as: Forgejo's own threads (tens to a few hundred), its git processes and the
// tests of a few pushes at once must all fit under it, while a fork bomb stopped at 2048
// processes still leaves a small server usable. (root is not bound by it at all.)
const DEFAULT_PROCESSES = 2048;
// bun install writes single files of up to ~150 MB (native binaries such as next-swc); test
// databases are smaller. 1 GiB leaves room for both and stops a runaway writer long before it
// fills a disk with one file.
const DEFAULT_FILE_SIZE_BYTES = 2 ** 30;
// Per process. A unit test suite that needs five CPU-minutes in one process is rare, and a hog
// is stopped at half of guardrail.timeout's default on a server shared with Forgejo.
const DEFAULT_CPU_SECONDS = 300;

// TODO(memory-limit): no memory limit. RLIMIT_AS counts address space that bun reserves but
// does not use, so a value safe for every app is hard to pick; a cgroup (systemd-run, a
// container) bounds memory properly (docs/security.md).

/** Seconds between SIGXCPU (soft limit, a clear signal) and SIGKILL (hard limit). */
export const CPU_GRACE_SECONDS = 5;

const OFF = /^\s*(0|unlimited)\s*$/i;
const DIGITS = /^\s*\d+\s*$/;
const UNITS: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

const count = (what: string) =>
  z
    .string()
    // Plain decimal digits only: Number() would also read `0x10`, `1e3` and `1.0`. Above 2^53
    // the digits no longer name one number, and `ulimit` would be given `1e+21`.
    .refine((value) => OFF.test(value) || (DIGITS.test(value) && Number.isSafeInteger(+value)), {
      error: `must be a whole number of ${what}, or 0 / unlimited for no limit`,
    })
    .transform((value) => (OFF.test(value) ? null : Number(value)));

export const limitProcessesSchema = count("processes").default(DEFAULT_PROCESSES);
export const limitCpuTimeSchema = count("seconds").default(DEFAULT_CPU_SECONDS);
export const limitFileSizeSchema = z
  .string()
  .refine((value) => OFF.test(value) || parseSize(value) !== undefined, {
    error: "must be a size with a unit (k, m, g or t, e.g. 512m or 2g), or 0 / unlimited",
  })
  .transform((value) => (OFF.test(value) ? null : (parseSize(value) ?? null)))
  .default(DEFAULT_FILE_SIZE_BYTES);

/** `512m` → bytes (binary units); undefined for anything else, a bare number included. */
export function parseSize(text: string): number | undefined {
  const match = /^\s*(\d+)\s*([kmgt])(i?b)?\s*$/i.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  const bytes = Number(match[1]) * (UNITS[match[2].toLowerCase()] ?? 0);
  return bytes > 0 && Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `1073741824` → `1g`, for messages. */
export function formatSize(bytes: number): string {
  for (const unit of ["t", "g", "m", "k"]) {
    const size = UNITS[unit] ?? 1;
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes} bytes`;
}

// The limits of the `guardrail.limit*` keys. Off is null there: zod's .default() would replace
// an undefined.
export function limitsOf(config: {
  limitProcesses: number | null;
  limitFileSize: number | null;
  limitCpuTime: number | null;
}): ResourceLimits {
  return {
    processes: config.limitProcesses ?? undefined,
    fileSizeBytes: config.limitFileSize ?? undefined,
    cpuSeconds: config.limitCpuTime ?? undefined,
  };
}

/**
 * The hook's own hard limits (Linux /proc/self/limits; none known elsewhere). A non-root shell
 * cannot raise a hard limit, so a configured limit above it is lowered to it rather than
 * failing every push: the command still runs no less limited than asked.
 */
export function readHardLimits(text = readProcLimits()): Partial<ResourceLimits> {
  const hard = (label: string) => {
    const match = new RegExp(`^${label}\\s+\\S+\\s+(\\S+)`, "m").exec(text);
    return match?.[1] && /^\d+$/.test(match[1]) ? Number(match[1]) : undefined;
  };
  return {
    processes: hard("Max processes"),
    fileSizeBytes: hard("Max file size"),
    cpuSeconds: hard("Max cpu time"),
  };
}

/** The limits to set: the configured ones, each capped at the hard limit already in force. */
export function effectiveLimits(
  wanted: ResourceLimits,
  hard: Partial<ResourceLimits> = readHardLimits(),
): ResourceLimits {
  // A limit turned off is left as the hook has it: nothing is set.
  const cap = (value: number | undefined, ceiling: number | undefined) =>
    value === undefined || ceiling === undefined ? value : Math.min(value, ceiling);
  return {
    processes: cap(wanted.processes, hard.processes),
    fileSizeBytes: cap(wanted.fileSizeBytes, hard.fileSizeBytes),
    cpuSeconds: cap(wanted.cpuSeconds, hard.cpuSeconds),
  };
}

function readProcLimits(): string {
  try {
    return readFileSync("/proc/self/limits", "utf8");
  } catch {
    return "";
  }
}
