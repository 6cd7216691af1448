// Every process the demo starts goes through here, so that one call can stop them all: on a
// normal end, on a failed step, and on Ctrl-C. Each child leads its own process group, so the
// grandchildren it starts (git's hooks, the hook's bun, the daemon's workers) go with it.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface Finished {
  code: number;
  /** stdout and stderr, interleaved as they came. */
  output: string;
}

export interface Started {
  child: ChildProcess;
  /** Resolves with the first output line that matches, rejects if the process ends first. */
  waitForLine(pattern: RegExp): Promise<string>;
  /** Every output line so far. */
  lines: string[];
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number>;
  /** Sends `signal` to the process group and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export interface RunOptions {
  cwd: string;
  env: Record<string, string>;
}

/** The set of live children; `stopAll` ends every one of them and their process groups. */
export class Processes {
  private readonly live = new Set<ChildProcess>();

  /** Runs a program to its end and returns its exit code and output. Never throws on exit codes. */
  async run(command: string, args: string[], options: RunOptions): Promise<Finished> {
    const started = this.start(command, args, options);
    const code = await started.exited;
    return { code, output: started.lines.join("\n") };
  }

  /** Starts a long-running program and returns at once. */
  start(command: string, args: string[], options: RunOptions): Started {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group: Ctrl-C reaches us, and we end the whole group
    });
    this.live.add(child);
    const lines: string[] = [];
    const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on("line", (line) => {
        lines.push(line);
        for (const waiter of waiters) {
          if (waiter.pattern.test(line)) {
            waiters.delete(waiter);
            waiter.resolve(line);
          }
        }
      });
    }
    const exited = new Promise<number>((resolve, reject) => {
      child.once("error", (error) => {
        this.live.delete(child);
        reject(new Error(`could not start ${command}: ${error.message}`, { cause: error }));
      });
      // 'close' (not 'exit'): all output has been read by then.
      child.once("close", (code, signal) => {
        this.live.delete(child);
        resolve(code ?? (signal ? 128 + signalNumber(signal) : 1));
      });
    });

    return {
      child,
      lines,
      exited,
      waitForLine: (pattern) => {
        const seen = lines.find((line) => pattern.test(line));
        if (seen !== undefined) return Promise.resolve(seen);
        return new Promise<string>((resolve, reject) => {
          waiters.add({ pattern, resolve });
          void exited.then((code) =>
            reject(new Error(`${command} ended (exit ${code}) before printing ${pattern}`)),
          );
        });
      },
      stop: async (signal = "SIGTERM") => {
        killGroup(child, signal);
        return exited;
      },
    };
  }

  /**
   * Ends every live child and its group: SIGTERM first, SIGKILL for what is left after
   * `graceMs`. Idempotent; never throws.
   */
  async stopAll(graceMs = 5000): Promise<void> {
    const children = [...this.live];
    if (children.length === 0) return;
    for (const child of children) killGroup(child, "SIGTERM");
    const ended = Promise.all(
      children.map((child) => new Promise((resolve) => child.once("close", resolve))),
    );
    const timer = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([ended, timer]);
    for (const child of children) killGroup(child, "SIGKILL");
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal as string] ?? 0;
}
