// The push gate against pushed code that misbehaves: hangs, leaves orphans, floods its output,
// snoops on its environment, ships a stale lockfile; and against the hook itself being killed.
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createForgejoRepo, PROJECT, run, type ForgejoRepo } from "../support/forgejo-repo.js";
import { isAlive, processesUsing } from "../support/processes.js";

let repo: ForgejoRepo;

beforeEach(async () => {
  repo = await createForgejoRepo();
});

afterEach(() => {
  expect(repo.leftoverWorkspaces()).toEqual([]);
  expect(processesUsing(repo.hookTmp)).toEqual([]);
  repo.remove();
});

describe("a test run that never ends", () => {
  test("is killed at guardrail.timeout, refused with a timeout message, with progress lines", async () => {
    await repo.config("guardrail.timeout", "4");
    await repo.config("guardrail.progressInterval", "1");
    const sha = await repo.commitFixture("hanging");
    const push = await repo.push(["origin", "main"]);

    expect(push.code).not.toBe(0);
    expect(push.output).toMatch(new RegExp(`still testing ${sha.slice(0, 7)}… \\d+s`));
    expect(push.output).toContain("did not finish within 4s (guardrail.timeout)");
    expect(push.output).toContain(`push refused: tests timed out for ${sha.slice(0, 7)}`);
    expect(repo.audit()[0]?.tested[0]).toMatchObject({ ok: false, failure: "timeout" });
  });
});

describe("a test that leaves a grandchild holding stdout open", () => {
  test("does not make the hook wait, and the grandchild is killed", async () => {
    const pidFile = join(repo.root, "orphan.pid");
    await repo.config("guardrail.passEnv", "ORPHAN_PID_FILE");
    await repo.commitFixture("orphan");
    const push = await repo.push(["origin", "main"], { ORPHAN_PID_FILE: pidFile });

    expect(push.code).toBe(0);
    const orphan = Number(readFileSync(pidFile, "utf8"));
    expect(orphan).toBeGreaterThan(0);
    expect(isAlive(orphan)).toBe(false);
  });
});

describe("a test that prints megabytes", () => {
  test("is reported with a bounded tail of its output", async () => {
    await repo.commitFixture("noisy");
    const push = await repo.push(["origin", "main"]);
    const lines = push.output.split("\n");

    expect(push.code).not.toBe(0);
    expect(push.output).toMatch(/last 150 lines; \d+ earlier lines not shown/);
    expect(lines.length).toBeLessThan(220);
    expect(push.output).toContain("noisy.test.ts: prints megabytes, then fails");
  });
});

describe("the environment of pushed code", () => {
  test("holds only allow-listed names, and a test's own git repository stays its own", async () => {
    await repo.config("guardrail.passEnv", "PASSED_ON");
    await repo.commitFixture("env-check");
    const push = await repo.push(["origin", "main"], {
      PASSED_ON: "yes",
      SECRET_FROM_SERVER: "hunter2",
      GITEA_REPO_NAME: "app",
      GITEA_PUSHER_EMAIL: "pusher@example.com",
      FORGEJO__security__SECRET_KEY: "very-secret",
      SSH_ORIGINAL_COMMAND: "git-receive-pack 'app.git'",
    });

    expect(push.output).toContain("2 tests passed");
    expect(push.code).toBe(0);
    const refs = await repo.git(["for-each-ref", "--format=%(refname)"], repo.bare);
    expect(refs.split("\n")).toEqual(["refs/heads/main"]);
  });
});

describe("a lockfile out of step with package.json", () => {
  test("is refused with a message that says so and how to fix it", async () => {
    const sha = await repo.commitFixture("lockfile-stale");
    const push = await repo.push(["origin", "main"]);

    expect(push.code).not.toBe(0);
    expect(push.output).toContain("bun.lock is out of step with package.json");
    expect(push.output).toContain("run `bun install` locally, commit the updated bun.lock");
    expect(push.output).toContain(`push refused: bun.lock out of step in ${sha.slice(0, 7)}`);
  });
});

describe("a missing tool on the server", () => {
  test("refuses the push and shows the shell's complaint", async () => {
    await repo.config("guardrail.installCommand", "pnpm install --frozen-lockfile");
    const sha = await repo.commitFixture("passing");
    const push = await repo.push(["origin", "main"]);

    expect(push.code).not.toBe(0);
    expect(push.output).toContain("installing dependencies failed (exit 127)");
    expect(push.output).toMatch(/pnpm: (command )?not found/);
    expect(push.output).toContain(`push refused: install failed for ${sha.slice(0, 7)}`);
  });
});

describe("two pushes at once", () => {
  test("use separate workspaces; git's ref lock decides which one lands", async () => {
    const other = join(repo.root, "other");
    await run("git", ["clone", "-q", repo.bare, other]);
    await repo.commitFixture("passing", "from the first clone");
    cpSync(join(PROJECT, "test/fixtures/passing"), other, { recursive: true });
    await run("git", ["-C", other, "add", "-A"]);
    await run("git", [
      "-C",
      other,
      "-c",
      "user.name=b",
      "-c",
      "user.email=b@example.com",
      "commit",
      "-q",
      "-m",
      "from the second clone",
    ]);

    const [first, second] = await Promise.all([
      repo.push(["origin", "main"]),
      run("git", ["-C", other, "push", "origin", "HEAD:main"], { env: { TMPDIR: repo.hookTmp } }),
    ]);
    // Both commits pass their tests; only one can be the new main.
    expect(first.output).toContain("2 tests passed");
    expect([first.code, second.code].filter((code) => code === 0)).toHaveLength(1);
    const loser = first.code === 0 ? second : first;
    expect(loser.output).not.toContain("push refused");
    expect(loser.output).toMatch(
      /failed to update ref|cannot lock ref|fetch first|non-fast-forward|rejected/,
    );
  });
});

describe("a hook that is killed", () => {
  test("on SIGTERM stops the tests, cleans up and refuses", async () => {
    await repo.commitFixture("hanging");
    const pushing = repo.push(["origin", "main"]);
    const hook = await waitForHookPid(repo);
    process.kill(hook, "SIGTERM");
    const push = await pushing;

    expect(push.code).not.toBe(0);
    expect(push.output).toContain("the test run was interrupted");
  });

  test("with SIGKILL leaves a workspace that the next gated push removes", async () => {
    await repo.commitFixture("hanging");
    const pushing = repo.push(["origin", "main"]);
    const hook = await waitForHookPid(repo);
    process.kill(hook, "SIGKILL");
    expect((await pushing).code).not.toBe(0);
    expect(repo.leftoverWorkspaces()).toHaveLength(1);

    await repo.commitFixture("passing", "next push");
    expect((await repo.push(["origin", "main"])).code).toBe(0);
  });
});

/** Waits for the hook to create its workspace and returns the hook's pid from it. */
async function waitForHookPid(target: ForgejoRepo): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const [workspace] = target.leftoverWorkspaces();
    if (workspace) {
      try {
        const pid = Number(readFileSync(join(target.hookTmp, workspace, "owner.pid"), "utf8"));
        // Give the hook time to get its tests going, so they are what gets interrupted.
        if (processesUsing(join(target.hookTmp, workspace, "tree")).length > 0) return pid;
      } catch {
        // Not written yet.
      }
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error("the hook never started testing");
}
