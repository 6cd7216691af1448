// Workspaces on a real filesystem with real processes: what `remove()` and the sweep of
// workspaces left by killed hooks take away, and what they must leave alone.
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createWorkspace, sweepStaleWorkspaces } from "../../hooks/workspace.js";
import { isAlive } from "../support/processes.js";
import { chownToTestUser } from "../support/unprivileged.js";

let base: string;
let outside: string;
const started: number[] = [];

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "guardrail-workspaces-"));
  outside = join(base, "outside");
  mkdirSync(outside);
  writeFileSync(join(outside, "keep.txt"), "keep");
});

afterEach(() => {
  for (const pid of started.splice(0)) if (isAlive(pid)) process.kill(pid, "SIGKILL");
  rmSync(base, { recursive: true, force: true });
});

/** A process that sleeps with its working folder in `dir`, as a test left running would. */
function sleeperIn(dir: string): number {
  const child = spawn("sleep", ["600"], { cwd: dir, detached: true, stdio: "ignore" });
  child.unref();
  started.push(child.pid!);
  return child.pid!;
}

/** The pid of a process that has already exited. */
function deadPid(): number {
  return Number(spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim());
}

/** A workspace folder as a hook leaves it, with `owner` in its owner file. */
function leftWorkspace(name: string, owner: string): string {
  const root = join(base, `guardrail-push-${name}`);
  mkdirSync(join(root, "tree/locked"), { recursive: true });
  writeFileSync(join(root, "owner.pid"), owner);
  symlinkSync(outside, join(root, "tree/locked/out"));
  chmodSync(join(root, "tree/locked"), 0o000);
  return root;
}

describe("sweepStaleWorkspaces", () => {
  test("removes one whose hook is gone, kills what runs there, and leaves symlink targets", async () => {
    const root = leftWorkspace("dead", String(deadPid()));
    const sleeper = sleeperIn(join(root, "tree"));

    expect(await sweepStaleWorkspaces(base)).toBe(1);
    expect(existsSync(root)).toBe(false);
    await waitUntil(() => !isAlive(sleeper));
    expect(readdirSync(outside)).toEqual(["keep.txt"]);
  });

  test("keeps one whose hook still runs, and one another user owns", async () => {
    const live = leftWorkspace("live", String(process.pid));
    const foreign = leftWorkspace("foreign", String(deadPid()));
    chownToTestUser(foreign);

    expect(await sweepStaleWorkspaces(base)).toBe(0);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(foreign)).toBe(true);
  });

  test("an empty or bad owner file is stale once the folder is an hour old, not before", async () => {
    const fresh = leftWorkspace("fresh", "");
    const old = leftWorkspace("old", "0");
    const hoursAgo = (Date.now() - 2 * 3_600_000) / 1000;
    utimesSync(old, hoursAgo, hoursAgo);

    expect(await sweepStaleWorkspaces(base)).toBe(1);
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(old)).toBe(false);
  });

  test("never follows a symlink that looks like a workspace", async () => {
    symlinkSync(outside, join(base, "guardrail-push-link"));
    writeFileSync(join(outside, "owner.pid"), String(deadPid()));

    expect(await sweepStaleWorkspaces(base)).toBe(0);
    expect(readdirSync(outside).sort()).toEqual(["keep.txt", "owner.pid"]);
  });
});

describe("a workspace's remove()", () => {
  test("kills a process that escaped into it and removes everything, twice without error", async () => {
    const workspace = await createWorkspace();
    const sleeper = sleeperIn(workspace.tree);
    mkdirSync(join(workspace.tree, "locked"));
    chmodSync(join(workspace.tree, "locked"), 0o000);

    await workspace.remove();
    await workspace.remove();
    expect(existsSync(workspace.root)).toBe(false);
    await waitUntil(() => !isAlive(sleeper));
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 100 && !check(); attempt++) {
    await new Promise((done) => setTimeout(done, 20));
  }
  expect(check()).toBe(true);
}
