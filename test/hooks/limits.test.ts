// Resource limits of the push gate's commands: the config keys, the `ulimit` prologue run by
// real shells, and the explanation a refusal gets when a real limit stopped a real command.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { parseHookConfig } from "../../hooks/config.js";
import {
  effectiveLimits,
  formatSize,
  limitsOf,
  parseSize,
  readHardLimits,
  type ResourceLimits,
} from "../../hooks/limits.js";
import { LIMIT_SETUP_EXIT, LimitWatch, limitsPrologue } from "../../hooks/limits-shell.js";
import { runStep } from "../../hooks/run-step.js";
import { asTestUser } from "../support/unprivileged.js";

const OFF: ResourceLimits = {
  processes: undefined,
  fileSizeBytes: undefined,
  cpuSeconds: undefined,
};

function limitsFrom(entries: Record<string, string>): ResourceLimits {
  const listing = Object.entries(entries).map(([key, value]) => `guardrail.${key}\n${value}`);
  return limitsOf(parseHookConfig(listing.join("\0")));
}

function problemsOf(entries: Record<string, string>): string[] {
  try {
    limitsFrom(entries);
  } catch (error) {
    return (error as { problems: string[] }).problems;
  }
  return [];
}

describe("the limit keys", () => {
  test("default to 2048 processes, 1 GiB files and 300 s of CPU", () => {
    expect(limitsFrom({})).toEqual({ processes: 2048, fileSizeBytes: 2 ** 30, cpuSeconds: 300 });
  });

  test("are each turned off by 0 or unlimited", () => {
    expect(
      limitsFrom({ limitProcesses: "0", limitFileSize: "unlimited", limitCpuTime: "0" }),
    ).toEqual(OFF);
    expect(
      limitsFrom({ limitProcesses: "Unlimited", limitFileSize: "0", limitCpuTime: "unlimited" }),
    ).toEqual(OFF);
  });

  test("take sizes with a binary unit, in either case", () => {
    expect(limitsFrom({ limitFileSize: "512m" }).fileSizeBytes).toBe(512 * 2 ** 20);
    expect(limitsFrom({ limitFileSize: "2G" }).fileSizeBytes).toBe(2 * 2 ** 30);
    expect(parseSize("64k")).toBe(65536);
    expect(parseSize("1MiB")).toBe(2 ** 20);
    expect(formatSize(2 ** 30)).toBe("1g");
    expect(formatSize(1536 * 2 ** 10)).toBe("1536k");
  });

  test("refuse bad values, each problem naming its key", () => {
    const problems = problemsOf({
      limitProcesses: "many",
      limitFileSize: "512",
      limitCpuTime: "1.5",
    });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(
      /^guardrail\.limitProcesses = "many": must be a whole number of processes/,
    );
    expect(problems[1]).toMatch(/^guardrail\.limitFileSize = "512": must be a size with a unit/);
    expect(problems[2]).toMatch(
      /^guardrail\.limitCpuTime = "1.5": must be a whole number of seconds/,
    );
    expect(problemsOf({ limitFileSize: "-1g" })).toHaveLength(1);
    expect(problemsOf({ limitProcesses: "" })).toHaveLength(1);
  });
});

describe("the hard limits already in force", () => {
  test("are read from /proc as the shell reports them", () => {
    const shell = spawnSync("sh", ["-c", "ulimit -H -p; ulimit -H -t"], { encoding: "utf8" });
    const [processes, cpu] = shell.stdout.trim().split("\n");
    const hard = readHardLimits();
    expect(String(hard.processes ?? "unlimited")).toBe(processes);
    expect(String(hard.cpuSeconds ?? "unlimited")).toBe(cpu);
  });

  test("lower a configured limit above them, and leave a limit that is off alone", () => {
    const wanted = { processes: 4096, fileSizeBytes: 2 ** 30, cpuSeconds: undefined };
    const hard = { processes: 1000, fileSizeBytes: undefined, cpuSeconds: 60 };
    expect(effectiveLimits(wanted, hard)).toEqual({
      processes: 1000,
      fileSizeBytes: 2 ** 30,
      cpuSeconds: undefined,
    });
  });
});

// Reads back what a real shell set: soft and hard CPU, file size in blocks, core, processes.
const READ_BACK =
  'echo "$(ulimit -S -t) $(ulimit -H -t) $(ulimit -f) $(ulimit -c) $( (ulimit -u) 2>/dev/null || ulimit -p)"';

describe.each([
  ["dash", ["dash", "-c"]],
  ["busybox ash", ["busybox", "sh", "-c"]],
  ["bash as sh", ["bash", "--posix", "-c"]],
])("the ulimit prologue in %s", (_name, shell) => {
  test("sets every limit, with a few seconds between SIGXCPU and SIGKILL", () => {
    const limits = { processes: 300, fileSizeBytes: 2 ** 20, cpuSeconds: 30 };
    const script = limitsPrologue(limits, {}) + READ_BACK;
    const run = spawnSync(shell[0] ?? "", [...shell.slice(1), script], { encoding: "utf8" });

    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe("30 35 2048 0 300");
  });

  test("fails with its own exit status and names the key when the shell cannot set a limit", () => {
    // An ordinary user cannot raise a hard limit: 2 s of CPU is already the most it may have.
    const script = `${limitsPrologue({ ...OFF, cpuSeconds: 30 }, {})}echo the command ran`;
    const argv = ["prlimit", "--cpu=2:2", ...asTestUser([...shell, script])];
    const run = spawnSync(argv[0] ?? "", argv.slice(1), { encoding: "utf8" });

    expect(run.status).toBe(LIMIT_SETUP_EXIT);
    expect(run.stdout).not.toContain("the command ran");
    expect(run.stderr).toContain(
      "guardrail-limits: guardrail.limitCpuTime: this shell's ulimit -t could not set it to 30",
    );
    const watch = new LimitWatch({ ...OFF, cpuSeconds: 30 });
    for (const line of run.stderr.split("\n")) watch.onLine(line);
    const explained = watch.explain({ ...ENDED, exitCode: run.status });
    expect(explained).toContain("could not set a resource limit");
    expect(explained).toContain("set guardrail.limitCpuTime to unlimited");
  });
});

const ENDED = { exitCode: 1, signal: null, timedOut: false, aborted: false, durationMs: 1 };

describe("a command stopped by a limit", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "guardrail-limits-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const step = (command: string, limits: Partial<ResourceLimits>) =>
    runStep({
      verb: "testing",
      sha: "a".repeat(40),
      command,
      cwd: dir,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      limits: { ...OFF, ...limits },
      deadline: Date.now() + 60_000,
      progressInterval: 60,
      tailLines: 20,
      say: () => {},
      signal: new AbortController().signal,
    });

  test("by the CPU limit is explained as such, naming guardrail.limitCpuTime", async () => {
    const result = await step("while :; do :; done", { cpuSeconds: 1 });

    expect(result.ok).toBe(false);
    expect(result.timedOut).toBe(false);
    expect(result.exitCode ?? result.signal).toSatisfy((end) => end === 152 || end === "SIGXCPU");
    expect(result.limitHit).toContain("stopped by the CPU time limit: a process used 1s of CPU");
    expect(result.limitHit).toContain("guardrail.limitCpuTime");
  });

  test("by the file size limit keeps the file at the limit, naming guardrail.limitFileSize", async () => {
    const result = await step("head -c 3145728 /dev/zero > big.bin", { fileSizeBytes: 2 ** 20 });

    expect(result.ok).toBe(false);
    expect(statSync(join(dir, "big.bin")).size).toBe(2 ** 20);
    expect(result.limitHit).toContain("a process tried to write a file larger than 1m");
    expect(result.limitHit).toContain("guardrail.limitFileSize");
  });

  test("by the process limit of an ordinary user is explained, naming guardrail.limitProcesses", async () => {
    // root ignores RLIMIT_NPROC; the limit set by the prologue passes on to the user's shell.
    const forks = "i=0; while [ $i -lt 60 ]; do sleep 30 & i=$((i+1)); done; wait";
    const command = asTestUser(["sh", "-c", `'${forks}'`]).join(" ");
    const result = await step(command, { processes: 20 });

    expect(result.ok).toBe(false);
    expect(result.tail.join("\n")).toMatch(/Cannot fork|Resource temporarily unavailable/);
    expect(result.limitHit).toContain("once the git user had 20 (guardrail.limitProcesses");
  });

  test("is not blamed for a command that fails on its own or passes", async () => {
    const failed = await step("echo 'some test failed' >&2; exit 3", { cpuSeconds: 60 });
    expect(failed.exitCode).toBe(3);
    expect(failed.limitHit).toBeUndefined();

    const passed = await step("head -c 1000 /dev/zero > small.bin", { fileSizeBytes: 2 ** 20 });
    expect(passed.ok).toBe(true);
    expect(passed.limitHit).toBeUndefined();
  });
});
