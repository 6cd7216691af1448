// Running one command of the gate (install or tests) under resource limits, with a deadline, a
// progress line every few seconds and a bounded tail of its output.
import { runCommand, type RunResult } from "../shared/process.js";
import { effectiveLimits, readHardLimits, type ResourceLimits } from "./limits.js";
import { LimitWatch, limitsPrologue } from "./limits-shell.js";
import { shortSha } from "./refs.js";
import { OutputTail, type Say } from "./say.js";

export interface StepOptions {
  /** `installing` or `testing`, as in `still testing abc1234… 40s`. */
  verb: string;
  sha: string;
  command: string;
  cwd: string;
  env: Record<string, string>;
  /** Set with the shell's `ulimit` before the command runs; undefined ones are left alone. */
  limits: ResourceLimits;
  /** When the whole gate must be over (ms since the epoch). */
  deadline: number;
  progressInterval: number;
  tailLines: number;
  say: Say;
  signal: AbortSignal;
  /** Shown as `.` in the output, so paths read as they would in the pusher's checkout. */
  hidePath?: string;
  /** Sees every output line (the tail keeps only the last ones). */
  onLine?: (line: string) => void;
}

export interface StepResult extends RunResult {
  ok: boolean;
  tail: string[];
  droppedLines: number;
  /** When a resource limit stopped the command: which one, and the key that sets it. */
  limitHit: string | undefined;
}

/** Runs the step's command; resolves with its outcome, never rejecting for a failed command. */
export async function runStep(options: StepOptions): Promise<StepResult> {
  const tail = new OutputTail(options.tailLines);
  const hard = readHardLimits();
  const limits = effectiveLimits(options.limits, hard);
  const watch = new LimitWatch(limits);
  const started = Date.now();
  const progress = setInterval(() => {
    const elapsed = Math.round((Date.now() - started) / 1000);
    options.say(`still ${options.verb} ${shortSha(options.sha)}… ${elapsed}s`);
  }, options.progressInterval * 1000);

  try {
    const result = await runCommand({
      command: limitsPrologue(limits, hard) + options.command,
      cwd: options.cwd,
      env: options.env,
      timeoutMs: Math.max(1, options.deadline - Date.now()),
      signal: options.signal,
      onLine: (raw) => {
        const line = options.hidePath ? raw.replaceAll(options.hidePath, ".") : raw;
        watch.onLine(raw);
        tail.push(line);
        options.onLine?.(line);
      },
    });
    const { lines, dropped } = tail.read();
    const ok = result.exitCode === 0 && !result.timedOut && !result.aborted;
    const limitHit = ok ? undefined : watch.explain(result);
    return { ...result, ok, tail: lines, droppedLines: dropped, limitHit };
  } finally {
    clearInterval(progress);
  }
}
