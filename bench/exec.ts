// Running the programs under measurement: wall time from spawn to exit, output kept for errors,
// and optionally the peak memory GNU time reports for the whole process tree.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ExecOptions {
  cwd?: string;
  /** The complete environment; the bench's own environment is never passed on by accident. */
  env: Record<string, string | undefined>;
  input?: string;
  /** Wrap in /usr/bin/time -v and report the peak resident set size. */
  measureMemory?: boolean;
  /** Resolve instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

export interface ExecResult {
  code: number;
  ms: number;
  output: string;
  /** Peak RSS in bytes of the largest process in the tree (with measureMemory). */
  peakRssBytes?: number;
}

const GNU_TIME = "/usr/bin/time";

/** Runs `command args` to its end and times it; throws with the output's tail when it fails. */
export function exec(command: string, args: string[], options: ExecOptions): Promise<ExecResult> {
  const timeFile = join(tmpdir(), `guardrail-bench-time-${process.pid}-${Math.random()}`);
  const [program, argv] = options.measureMemory
    ? [GNU_TIME, ["-v", "-o", timeFile, command, ...args]]
    : [command, args];
  const env = Object.fromEntries(
    Object.entries(options.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined,
    ),
  );

  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(program, argv, {
      cwd: options.cwd,
      env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stdin?.on("error", () => {});
    child.stdin?.end(options.input);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const ms = performance.now() - started;
      const output = Buffer.concat(chunks).toString("utf8");
      const peakRssBytes = options.measureMemory ? readPeakRss(timeFile) : undefined;
      const exitCode = code ?? (signal ? 128 : 1);
      if (exitCode !== 0 && !options.allowFailure) {
        const tail = output.split("\n").slice(-30).join("\n");
        reject(
          new Error(
            `${command} ${args.join(" ")} exited ${exitCode}${signal ? ` (${signal})` : ""}:\n${tail}`,
          ),
        );
        return;
      }
      resolve({ code: exitCode, ms, output, peakRssBytes });
    });
  });
}

/** Runs a shell command line with `sh -c`. */
export function sh(script: string, options: ExecOptions): Promise<ExecResult> {
  return exec("/bin/sh", ["-c", script], options);
}

/** True when GNU time is there to measure peak memory. */
export function canMeasureMemory(): boolean {
  return existsSync(GNU_TIME);
}

function readPeakRss(file: string): number | undefined {
  try {
    const text = readFileSync(file, "utf8");
    const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
    return match?.[1] ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  } finally {
    rmSync(file, { force: true });
  }
}

/** The environment every measured program starts from: PATH, LANG, TZ and nothing private. */
export function baseEnv(
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    LANG: process.env.LANG ?? "C.UTF-8",
    TZ: "UTC",
    ...extra,
  };
}
