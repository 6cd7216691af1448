import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, test } from "vitest";
import { runCommand } from "../../shared/process.js";
import { isAlive } from "../support/processes.js";

// Live processes whose environment holds TAG=<tag>: what a run left behind.
function processesTagged(tag: string): number[] {
  const needle = `TAG=${tag}`;
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const environ = readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
        return environ.includes(needle) && isAlive(pid);
      } catch {
        return false;
      }
    });
}

describe("runCommand", () => {
  const tags: string[] = [];
  afterEach(() => {
    for (const pid of tags.splice(0).flatMap(processesTagged)) process.kill(pid, "SIGKILL");
  });

  test("a process that left the group and keeps forking, marker intact, does not outlive the run", async () => {
    const tag = randomBytes(6).toString("hex");
    tags.push(tag);
    // setsid leaves the process group; cd / leaves the working folder; the loop forks
    // children faster than one scan of /proc can find them all.
    const command = `setsid sh -c 'cd /; while :; do sleep 600 & done' >/dev/null 2>&1 &
      sleep 0.5`;

    const result = await runCommand({
      command,
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TAG: tag },
      timeoutMs: 60_000,
    });

    expect(result.exitCode).toBe(0);
    expect(processesTagged(tag)).toEqual([]);
  });

  test("a process that left the group and keeps its environment is killed at the deadline", async () => {
    const tag = randomBytes(6).toString("hex");
    tags.push(tag);
    const command = `setsid sh -c 'cd /; while :; do sleep 600 & done' >/dev/null 2>&1 &
      sleep 600`;

    const result = await runCommand({
      command,
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", TAG: tag },
      timeoutMs: 500,
      killGraceMs: 200,
    });

    expect(result.timedOut).toBe(true);
    expect(processesTagged(tag)).toEqual([]);
  });
});
