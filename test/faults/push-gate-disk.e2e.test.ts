// The temp folder's disk filling up while the hook checks a push: a real tmpfs of a few MiB is
// the TMPDIR of the push. The push is refused with a message that names the full disk and what
// to do, the repository is unchanged, and no workspace or process is left.
import { closeSync, openSync, readdirSync, writeFileSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { repoState, type RepoState } from "../support/gate-faults.js";
import { processesUsing } from "../support/processes.js";
import { mountSmallDisk, type SmallDisk } from "../support/small-disk.js";
import { useForgejoRepo } from "../support/use-forgejo-repo.js";

const repo = useForgejoRepo();

const DISK_KIB = 4096;

let disk: SmallDisk;

beforeEach(async () => {
  disk = mountSmallDisk(join(repo().root, "small-tmp"), DISK_KIB, "1777");
  // bun's caches stay off the small disk, as they would be in production (the git user's home).
  await repo().config("guardrail.cacheDir", join(repo().root, "cache"));
  await repo().config("guardrail.passEnv", "FILL_DURING");
});

afterEach(() => {
  disk.release();
});

function pushWithSmallTmp(fillDuring: string) {
  return repo().push(["origin", "main"], { TMPDIR: disk.path, FILL_DURING: fillDuring });
}

/** What every disk-full refusal must show, whatever step the disk filled up in. */
async function expectRefusedForFullDisk(
  push: { code: number; output: string },
  doing: RegExp,
  before: RepoState,
): Promise<void> {
  expect(push.code).not.toBe(0);
  expect(push.output).toContain("push refused: the push gate could not check this push");
  expect(push.output).toContain(
    `no space left on device: the disk of the temp folder ${disk.path}`,
  );
  expect(push.output).toMatch(doing);
  expect(push.output).toMatch(new RegExp(`\\(\\d+ KiB free of ${DISK_KIB} KiB\\)`));
  expect(push.output).toContain(`fix: free disk space in ${disk.path}`);
  expect(push.output).toContain("pre-receive hook declined");
  // Not blamed on the tests or the install.
  expect(push.output).not.toMatch(/tests failed in|install failed for/);

  expect(await repoState(repo())).toMatchObject({ refs: before.refs, files: before.files });
  expect(repo().audit().at(-1)).toMatchObject({ verdict: "refused", mode: "error" });
  expect(repo().audit().at(-1)?.error).toContain("no space left on device");
  expect(readdirSync(disk.path)).toEqual([]);
  expect(processesUsing(disk.path)).toEqual([]);
}

describe("a temp folder whose disk fills up", () => {
  test("during the install: refused as a full disk, repository unchanged, nothing left", async () => {
    const sha = await repo().commitFixture("disk-hog");
    const before = await repoState(repo());
    const push = await pushWithSmallTmp("install");
    await expectRefusedForFullDisk(
      push,
      new RegExp(`filled up while installing the dependencies of ${sha.slice(0, 7)}`),
      before,
    );
  });

  test("during the tests: refused as a full disk, repository unchanged, nothing left", async () => {
    const sha = await repo().commitFixture("disk-hog");
    const before = await repoState(repo());
    const push = await pushWithSmallTmp("test");
    await expectRefusedForFullDisk(
      push,
      new RegExp(`filled up while testing ${sha.slice(0, 7)}`),
      before,
    );
  });

  test("while the commit's files are exported: refused as a full disk, nothing left", async () => {
    await repo().commitFixture("passing");
    writeFileSync(join(repo().work, "big.bin"), randomBytes((DISK_KIB + 512) * 1024));
    await repo().git(["add", "big.bin"]);
    await repo().git(["commit", "-q", "-m", "a file bigger than the temp disk"]);
    const sha = await repo().git(["rev-parse", "HEAD"]);
    const before = await repoState(repo());
    const push = await pushWithSmallTmp("nothing");
    await expectRefusedForFullDisk(
      push,
      new RegExp(`filled up while exporting the files of ${sha.slice(0, 7)}`),
      before,
    );
  });

  test("before the push starts: refused as a full disk, no half-made workspace left", async () => {
    await repo().commitFixture("passing");
    const before = await repoState(repo());
    fillUp(join(disk.path, "ballast"));
    const push = await pushWithSmallTmp("nothing");

    expect(push.code).not.toBe(0);
    expect(push.output).toContain("push refused: the push gate could not check this push");
    expect(push.output).toMatch(/no space left on device/i);
    expect(push.output).toContain(`fix: free disk space in ${disk.path}`);
    expect(await repoState(repo())).toMatchObject({ refs: before.refs, files: before.files });
    expect(readdirSync(disk.path)).toEqual(["ballast"]);
    expect(processesUsing(disk.path)).toEqual([]);
  });

  test("once space is free again, the same commit is accepted", async () => {
    await repo().commitFixture("disk-hog");
    expect((await pushWithSmallTmp("test")).code).not.toBe(0);
    const push = await pushWithSmallTmp("nothing");
    expect(push.output).toMatch(/✓ [0-9a-f]{7} \(main\): 1 test passed/);
    expect(push.code).toBe(0);
    expect(readdirSync(disk.path)).toEqual([]);
  });
});

/** Writes `path` until the disk it is on has no room left. */
function fillUp(path: string): void {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
}
