// Tests that leave their checkout, HOME and TMPDIR hard to remove: folders without any
// permission, read-only folders, unreadable files, symlinks to a folder outside, to / and
// upwards. Cleanup must remove the whole workspace and nothing outside it.
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, test } from "vitest";
import { type CommandResult } from "../support/forgejo-repo.js";
import { pushAsTestUser } from "../support/gate-faults.js";
import { processesUsing } from "../support/processes.js";
import { chownToTestUser, TEST_UID } from "../support/unprivileged.js";
import { useForgejoRepo } from "../support/use-forgejo-repo.js";

const repo = useForgejoRepo();

let sentinel: string;

beforeEach(async () => {
  sentinel = join(repo().root, "sentinel");
  mkdirSync(join(sentinel, "inner"), { recursive: true });
  writeFileSync(join(sentinel, "keep.txt"), "keep me");
  writeFileSync(join(sentinel, "inner/also.txt"), "keep me too");
  await repo().config("guardrail.passEnv", "VANDAL_SENTINEL");
  await repo().commitFixture("vandal");
});

/** What must hold after any push of the vandal fixture, whoever ran it. */
function expectCleanedUpOnlyInside(push: CommandResult, owner: number): void {
  expect(push.output).toMatch(/✓ [0-9a-f]{7} \(main\): 1 test passed/);
  expect(push.code).toBe(0);
  expect(push.output).not.toContain("could not remove");
  expect(repo().leftoverWorkspaces()).toEqual([]);
  expect(processesUsing(repo().hookTmp)).toEqual([]);

  // The folder the symlinks pointed at: same files, same modes, same owner.
  expect(readdirSync(sentinel).sort()).toEqual(["inner", "keep.txt"]);
  expect(readdirSync(join(sentinel, "inner"))).toEqual(["also.txt"]);
  const info = statSync(sentinel);
  expect(info.mode & 0o777).toBe(0o755);
  expect(info.uid).toBe(owner);
  expect(statSync(join(sentinel, "keep.txt")).mode & 0o777).toBe(0o644);
}

describe("a test that vandalises its workspace", () => {
  test("as root: the workspace is removed and the folder its symlinks point at is untouched", async () => {
    const push = await repo().push(["origin", "main"], { VANDAL_SENTINEL: sentinel });
    expectCleanedUpOnlyInside(push, 0);
  });

  test("as an ordinary user, for whom modes count: all of it is removed, nothing outside", async () => {
    // The sentinel belongs to the same user, so following a symlink could really harm it.
    const push = pushAsTestUser(repo());
    chownToTestUser(sentinel);
    const result = await push(["origin", "main"], { VANDAL_SENTINEL: sentinel });
    expectCleanedUpOnlyInside(result, TEST_UID);
  });
});
