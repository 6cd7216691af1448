// Running untrusted commands: a fresh process group, an exact environment, a deadline that
// kills the whole tree, and no waiting on pipes that an orphaned grandchild keeps open.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { Readable } from "node:stream";

export interface RunOptions {
  /** A shell command line, run with /bin/sh -c. */
  command: string;
  cwd: string;
  /** The complete environment of the command; nothing else is inherited. */
  env: Record<string, string>;
  timeoutMs: number;
  /** Called with each line of output, stdout and stderr merged, without the newline. */
  onLine?: (line: string) => void;
  /** How long the tree gets between SIGTERM and SIGKILL at the deadline. */
  killGraceMs?: number;
  signal?: AbortSignal;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

const MARKER = "GUARDRAIL_RUN_ID";
const MAX_LINE = 4096;
const DRAIN_MS = 250;
/** Most /proc scans for the processes of a run before they are killed (see killTree). */
const MAX_SCANS = 50;

/**
 * Runs `command` to completion or to its deadline. When the command's main process ends, every
 * process it left behind is killed too (by process group, and by an environment marker for
 * those that left the group), so nothing keeps running after this resolves. Rejects only when
 * the command cannot be started.
 */
export function runCommand(options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const runId = randomBytes(8).toString("hex");
  const env = { ...options.env, [MARKER]: runId };

  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", options.command], {
      cwd: options.cwd,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    let graceEndsAt: number | undefined;

    const emit = options.onLine ?? (() => {});
    const streams = [child.stdout, child.stderr].filter((s): s is Readable => s !== null);
    const flushers = streams.map((stream) => splitLines(stream, emit));

    const stop = (signal: NodeJS.Signals) => {
      killTree(child.pid, runId, signal);
      const grace = options.killGraceMs ?? 2000;
      graceEndsAt ??= performance.now() + grace;
      killTimer ??= setTimeout(() => killTree(child.pid, runId, "SIGKILL"), grace);
    };
    const deadline = setTimeout(() => {
      timedOut = true;
      stop("SIGTERM");
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop("SIGTERM");
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });

    child.once("error", (error) => {
      clearTimeout(deadline);
      clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    child.once("exit", async (exitCode, signal) => {
      clearTimeout(deadline);
      options.signal?.removeEventListener("abort", onAbort);
      // Stopped at the deadline or on abort: the shell that ran the command may die of the
      // SIGTERM at once, but the processes under it still get their grace period to end.
      if (graceEndsAt !== undefined) await treeGone(runId, graceEndsAt);
      clearTimeout(killTimer);
      // The main process is gone; whatever it left behind goes too.
      killTree(child.pid, runId, "SIGKILL");
      // Give the pipes a moment to deliver what is buffered, then stop reading: an orphan that
      // escaped the kill may hold them open forever.
      let drainTimer: NodeJS.Timeout | undefined;
      const drained = Promise.all(streams.map((stream) => ended(stream)));
      const timer = new Promise((done) => (drainTimer = setTimeout(done, DRAIN_MS)));
      void Promise.race([drained, timer]).then(() => {
        // A pending timer would keep the caller's process alive for nothing.
        clearTimeout(drainTimer);
        for (const stream of streams) stream.destroy();
        for (const flush of flushers) flush();
        resolve({
          exitCode,
          signal,
          timedOut,
          aborted,
          durationMs: Math.round(performance.now() - started),
        });
      });
    });
  });
}

/** Resolves when no process carries the run marker any more, or at `until` (performance.now). */
async function treeGone(runId: string, until: number): Promise<void> {
  while (performance.now() < until && processesWithMarker(runId).length > 0) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, until - performance.now())));
  }
}

/** Sends `signal` to the process group of `pid` and to every process carrying the run marker. */
function killTree(pid: number | undefined, runId: string, signal: NodeJS.Signals): void {
  if (pid !== undefined) trySignal(-pid, signal);
  if (signal !== "SIGKILL") {
    for (const other of processesWithMarker(runId)) trySignal(other, signal);
    return;
  }
  // One scan of /proc misses the children a process forks between the scan and its kill, and
  // those would outlive the run. So stop what each scan finds (a stopped process cannot fork),
  // scan again until nothing new turns up, then kill them all.
  const stopped = new Set<number>();
  for (let scan = 0; scan < MAX_SCANS; scan++) {
    const fresh = processesWithMarker(runId).filter((other) => !stopped.has(other));
    if (fresh.length === 0) break;
    for (const other of fresh) {
      trySignal(other, "SIGSTOP");
      stopped.add(other);
    }
  }
  for (const other of stopped) trySignal(other, "SIGKILL");
  // Past MAX_SCANS (a fork bomb outrunning the scans), whatever is still left gets killed too.
  for (const other of processesWithMarker(runId)) trySignal(other, "SIGKILL");
}

function trySignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone, or not ours to signal.
  }
}

/**
 * Kills (SIGKILL) every process whose working directory is inside `dir`: what is left of a run
 * whose supervisor was itself killed. Linux /proc only; returns how many were signalled.
 */
export function killProcessesIn(dir: string): number {
  let killed = 0;
  for (const entry of listProcesses()) {
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) {
        trySignal(Number(entry), "SIGKILL");
        killed++;
      }
    } catch {
      // Exited meanwhile, or owned by someone else.
    }
  }
  return killed;
}

function listProcesses(): string[] {
  try {
    return readdirSync("/proc").filter(
      (entry) => /^\d+$/.test(entry) && Number(entry) !== process.pid,
    );
  } catch {
    return [];
  }
}

/** Process ids whose environment holds this run's marker (Linux /proc; empty elsewhere). */
function processesWithMarker(runId: string): number[] {
  const needle = `${MARKER}=${runId}`;
  const found: number[] = [];
  for (const entry of listProcesses()) {
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, "latin1");
      if (environ.split("\0").includes(needle)) found.push(Number(entry));
    } catch {
      // Exited meanwhile, or owned by someone else.
    }
  }
  return found;
}

/** Feeds complete lines to `emit`; returns a function that emits the last partial line. */
function splitLines(stream: Readable, emit: (line: string) => void): () => void {
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    if (partial.length > MAX_LINE) {
      emit(partial.slice(0, MAX_LINE));
      partial = "";
    }
    for (const line of lines) emit(line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line);
  });
  stream.on("error", () => {});
  return () => {
    if (partial) emit(partial.slice(0, MAX_LINE));
    partial = "";
  };
}

function ended(stream: Readable): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((done) => {
    stream.once("end", done);
    stream.once("close", done);
  });
}
