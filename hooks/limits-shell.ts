// The shell side of the resource limits: `ulimit` lines put in front of a command, and telling
// from how the command ended whether a limit stopped it.
import type { RunResult } from "../shared/process.js";
import { CPU_GRACE_SECONDS, formatSize, LIMIT_KEYS, type ResourceLimits } from "./limits.js";

/** Exit status of the script when the shell cannot set a limit: the command did not run. */
export const LIMIT_SETUP_EXIT = 125;
const MARKER = "guardrail-limits:";

// Sets soft and hard limit together, then the soft one alone (a hard limit below the current
// soft one is refused), and reads both back: a shell that accepts a value and ignores it fails
// here too. POSIX sh counts `ulimit -f` in 512-byte blocks (dash, busybox ash, bash as sh).
const SET_LIMIT = `guardrail_limit() {
  ulimit "-$2" "$4" && ulimit -S "-$2" "$3" &&
    [ "$(ulimit -S "-$2")" = "$3" ] && [ "$(ulimit -H "-$2")" = "$4" ] || {
    echo "${MARKER} $1: this shell's ulimit -$2 could not set it to $3" >&2
    exit ${LIMIT_SETUP_EXIT}
  }
}`;
// bash and busybox call the process limit -u, dash -p (which is the pipe size in bash).
const PROCESS_FLAG = "guardrail_nproc=u; (ulimit -u) >/dev/null 2>&1 || guardrail_nproc=p";

/**
 * POSIX sh lines that turn core dumps off and set `limits` (each undefined one is left as it
 * is), then end so the command follows. `hard` holds the hard limits already in force, which a
 * non-root shell cannot raise. The CPU limit gets a few seconds between its soft limit
 * (SIGXCPU, which names it) and its hard one (SIGKILL, for a process that ignores SIGXCPU).
 */
export function limitsPrologue(limits: ResourceLimits, hard: Partial<ResourceLimits>): string {
  const lines = [SET_LIMIT, 'guardrail_limit "core dumps" c 0 0'];
  if (limits.processes !== undefined) {
    const n = limits.processes;
    lines.push(
      PROCESS_FLAG,
      `guardrail_limit ${LIMIT_KEYS.processes} "$guardrail_nproc" ${n} ${n}`,
    );
  }
  if (limits.fileSizeBytes !== undefined) {
    const blocks = Math.ceil(limits.fileSizeBytes / 512);
    lines.push(`guardrail_limit ${LIMIT_KEYS.fileSizeBytes} f ${blocks} ${blocks}`);
  }
  if (limits.cpuSeconds !== undefined) {
    const soft = limits.cpuSeconds;
    const ceiling = Math.min(soft + CPU_GRACE_SECONDS, hard.cpuSeconds ?? Infinity);
    lines.push(`guardrail_limit ${LIMIT_KEYS.cpuSeconds} t ${soft} ${ceiling}`);
  }
  lines.push("unset -f guardrail_limit; unset guardrail_nproc");
  return `${lines.join("\n")}\n`;
}

const SIGNAL_EXIT = { SIGXCPU: 128 + 24, SIGXFSZ: 128 + 25, SIGKILL: 128 + 9 } as const;
const FILE_TOO_LARGE = /File size limit exceeded|File too large|EFBIG/i;
const CANNOT_FORK = /Cannot fork|can't fork|Resource temporarily unavailable|\bEAGAIN\b/i;
const CPU_EXCEEDED = /CPU time limit exceeded|SIGXCPU/i;

/** Watches a command's output for the traces a limit leaves, to explain a failure afterwards. */
export class LimitWatch {
  private setupFailed: string | undefined;
  private readonly seen = { fileSize: false, fork: false, cpu: false };

  constructor(private readonly limits: ResourceLimits) {}

  onLine(line: string): void {
    if (line.startsWith(MARKER)) this.setupFailed ??= line.slice(MARKER.length).trim();
    if (FILE_TOO_LARGE.test(line)) this.seen.fileSize = true;
    if (CANNOT_FORK.test(line)) this.seen.fork = true;
    if (CPU_EXCEEDED.test(line)) this.seen.cpu = true;
  }

  /** One sentence naming the limit that stopped a failed command and its key; else undefined. */
  explain(result: RunResult): string | undefined {
    if (result.exitCode === 0 || result.timedOut || result.aborted) return undefined;
    const { processes, fileSizeBytes, cpuSeconds } = this.limits;
    const endedBy = (signal: keyof typeof SIGNAL_EXIT) =>
      result.signal === signal || result.exitCode === SIGNAL_EXIT[signal];

    if (this.setupFailed && result.exitCode === LIMIT_SETUP_EXIT) {
      const key = this.setupFailed.split(":")[0] ?? "";
      const remedy = key.startsWith("guardrail.") ? `set ${key} to unlimited, or ` : "";
      return `the server's /bin/sh could not set a resource limit (${this.setupFailed}), so the command did not run; the server's admin can ${remedy}make /bin/sh a shell whose ulimit can`;
    }
    if (cpuSeconds !== undefined && (endedBy("SIGXCPU") || this.seen.cpu)) {
      return `stopped by the CPU time limit: a process used ${cpuSeconds}s of CPU (${LIMIT_KEYS.cpuSeconds}; the server's admin can raise it if the tests need more)`;
    }
    if (fileSizeBytes !== undefined && (endedBy("SIGXFSZ") || this.seen.fileSize)) {
      return `stopped by the file size limit: a process tried to write a file larger than ${formatSize(fileSizeBytes)} (${LIMIT_KEYS.fileSizeBytes}; the server's admin can raise it if the tests need more)`;
    }
    if (processes !== undefined && this.seen.fork) {
      return `hit the process limit: no new process or thread could start once the git user had ${processes} (${LIMIT_KEYS.processes}, counted for the whole user, the git server's own included; the server's admin can raise it if the tests need more)`;
    }
    if (cpuSeconds !== undefined && endedBy("SIGKILL")) {
      return `killed by SIGKILL: the hard CPU time limit (${LIMIT_KEYS.cpuSeconds}, ${cpuSeconds}s + ${CPU_GRACE_SECONDS}s for a process that ignores SIGXCPU) or the kernel's out-of-memory killer`;
    }
    return undefined;
  }
}
