// The push gate's own process killed mid-run: git must refuse the push, and whatever the hook
// could not clean up (its workspace, the tests still running there) goes at the next gated push.
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { repoState, waitForTestsRunning } from "../support/gate-faults.js";
import { processesUsing } from "../support/processes.js";
import { useForgejoRepo } from "../support/use-forgejo-repo.js";

const repo = useForgejoRepo();

describe("a hook that is killed", () => {
  test("on SIGTERM stops the tests, refuses, and leaves no workspace and no process", async () => {
    const sha = await repo().commitFixture("hanging");
    const before = await repoState(repo());
    const pushing = repo().push(["origin", "main"]);
    process.kill(await waitForTestsRunning(repo()), "SIGTERM");
    const push = await pushing;

    expect(push.code).not.toBe(0);
    expect(push.output).toContain("the test run was interrupted");
    expect(push.output).toContain(`push refused: test run of ${sha.slice(0, 7)} interrupted`);
    expect(push.output).toContain("pre-receive hook declined");
    expect(await repoState(repo())).toMatchObject({ refs: before.refs, files: before.files });
    expect(repo().leftoverWorkspaces()).toEqual([]);
    expect(processesUsing(repo().hookTmp)).toEqual([]);
  });

  test.each([
    ["the tests", [], /\btest\b/, false],
    ["the install", ["sleep 600"], /sleep 600/, false],
    ["the tests, with TMPDIR a symlink,", [], /\btest\b/, true],
  ])(
    "with SIGKILL during %s is refused by git; the next gated push removes what it left",
    async (_, install, running, linked) => {
      await repo().config("guardrail.installCommand", install);
      await repo().commitFixture("hanging");
      const before = await repoState(repo());
      const tmp = join(repo().root, "tmp-link");
      symlinkSync(repo().hookTmp, tmp);
      const env = { TMPDIR: linked ? tmp : repo().hookTmp };
      const pushing = repo().push(["origin", "main"], env);
      process.kill(await waitForTestsRunning(repo(), running), "SIGKILL");
      const killed = await pushing;

      expect(killed.code).not.toBe(0);
      expect(killed.output).toContain("pre-receive hook declined");
      expect(await repoState(repo())).toMatchObject({ refs: before.refs, files: before.files });
      // What the killed hook could not clean: its workspace, and the commands still running in it.
      const [left] = repo().leftoverWorkspaces();
      expect(left).toBeDefined();
      expect(processesUsing(join(repo().hookTmp, left!)).length).toBeGreaterThan(0);

      await repo().config("guardrail.installCommand", []);
      const sha = await repo().commitFixture("passing", "next push");
      const next = await repo().push(["origin", "main"], env);
      expect(next.code).toBe(0);
      expect(await repo().git(["rev-parse", "main"], repo().bare)).toBe(sha);
      expect(repo().leftoverWorkspaces()).toEqual([]);
      expect(processesUsing(repo().hookTmp)).toEqual([]);
    },
  );
});
