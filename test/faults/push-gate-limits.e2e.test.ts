// Pushed code that tries to eat the server: a fork bomb, a CPU hog, a huge file. Each is stopped
// by its resource limit, the push is refused with a message that names the limit and its key,
// and nothing is left behind: no process, no workspace, no new ref.
import { statSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, test } from "vitest";
import { type CommandResult } from "../support/forgejo-repo.js";
import { processesUsing } from "../support/processes.js";
import { pushAsTestUser } from "../support/test-user-push.js";
import { useForgejoRepo } from "../support/use-forgejo-repo.js";

const repo = useForgejoRepo();

beforeEach(async () => {
  await repo().config("guardrail.cacheDir", join(repo().root, "cache"));
  // Far beyond what any case needs: a case stopped by guardrail.timeout would fail its checks.
  await repo().config("guardrail.timeout", "120");
});

/** Checks what every case promises besides its own message. */
async function expectRefusedAndClean(push: CommandResult, sha: string): Promise<void> {
  expect(push.code).not.toBe(0);
  expect(push.output).toContain(`push refused: tests failed in ${sha.slice(0, 7)}`);
  expect(push.output).not.toContain("guardrail.timeout");
  expect(repo().audit().at(-1)?.tested[0]).toMatchObject({ ok: false, failure: "tests" });
  // (safe.directory: after pushAsTestUser, root reads a repository it does not own.)
  expect(await repo().git(["-c", "safe.directory=*", "for-each-ref"], repo().bare)).toBe("");
  expect(repo().leftoverWorkspaces()).toEqual([]);
  expect(processesUsing(repo().root)).toEqual([]);
}

describe("a fork bomb in the tests", () => {
  test("is contained by guardrail.limitProcesses: refused with a message naming it, no process, workspace or ref left", async () => {
    await repo().config("guardrail.limitProcesses", "256");
    const sha = await repo().commitFixture("fork-bomb");
    const push = await pushAsTestUser(repo());

    // The bomb really ran into the limit. (Then either the test cannot start a process, or bun
    // itself aborts when it cannot start a thread: both end the run.)
    expect(push.output).toContain("Cannot fork");
    expect(push.output).toContain(
      "hit the process limit: no new process or thread could start once the git user had 256 (guardrail.limitProcesses",
    );
    await expectRefusedAndClean(push, sha);
  });
});

describe("a test that burns CPU", () => {
  test("is stopped by guardrail.limitCpuTime: refused with a message naming it, nothing left", async () => {
    await repo().config("guardrail.limitCpuTime", "2");
    const sha = await repo().commitFixture("cpu-hog");
    const push = await repo().push(["origin", "main"]);

    expect(push.output).toMatch(/the test command failed \((exit 152|killed by SIGXCPU)\)/);
    expect(push.output).toContain(
      "stopped by the CPU time limit: a process used 2s of CPU (guardrail.limitCpuTime",
    );
    await expectRefusedAndClean(push, sha);
  });
});

describe("a test that writes a huge file", () => {
  test("is stopped at guardrail.limitFileSize: the file ends at the limit, the push is refused naming it, nothing left", async () => {
    const huge = join(repo().root, "huge.bin");
    await repo().config("guardrail.limitFileSize", "8m");
    await repo().config("guardrail.passEnv", "HUGE_FILE");
    const sha = await repo().commitFixture("huge-file");
    const push = await repo().push(["origin", "main"], { HUGE_FILE: huge });

    // The test meant to write 64 MiB.
    expect(statSync(huge).size).toBe(8 * 2 ** 20);
    expect(push.output).toContain("EFBIG");
    expect(push.output).toContain(
      "stopped by the file size limit: a process tried to write a file larger than 8m (guardrail.limitFileSize",
    );
    await expectRefusedAndClean(push, sha);
  });
});
