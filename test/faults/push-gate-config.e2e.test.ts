// Configuration that would let the tests run outside their checkout, or that makes no sense:
// the push is refused before any pushed code runs, naming the key, and nothing is left behind.
// The pushed commit itself can try too, by making guardrail.workdir a symlink out of its tree.
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { createForgejoRepo, type ForgejoRepo } from "../support/forgejo-repo.js";
import { repoState } from "../support/gate-faults.js";
import { processesUsing } from "../support/processes.js";

// One repository for the whole file: every case but one is refused, which leaves it unchanged.
let repo: ForgejoRepo;
let marker: string;

beforeAll(async () => {
  repo = await createForgejoRepo();
  // The test command leaves a mark wherever it runs, so a run in the wrong place shows.
  marker = join(repo.root, "ran-in");
});

beforeEach(async () => {
  for (const key of ["workdir", "timeout", "cacheDir", "passEnv", "mode", "progressInterval"]) {
    await repo.config(`guardrail.${key}`, []);
  }
  await repo.config("guardrail.installCommand", "true");
  await repo.config("guardrail.testCommand", `pwd > '${marker}'`);
});

afterEach(() => {
  expect(repo.leftoverWorkspaces()).toEqual([]);
  expect(processesUsing(repo.hookTmp)).toEqual([]);
});

afterAll(() => {
  repo.remove();
});

/** Commits the passing fixture plus whatever `extra` adds to the working tree. */
async function commitWith(extra: (work: string) => void): Promise<string> {
  await repo.commitFixture("passing");
  extra(repo.work);
  await repo.git(["add", "-A"]);
  await repo.git(["commit", "-q", "--amend", "--allow-empty", "--no-edit"]);
  return repo.git(["rev-parse", "HEAD"]);
}

/** Pushes HEAD to main, forcing: refused pushes leave main where it was, or absent. */
function pushMain() {
  return repo.push(["--force", "origin", "HEAD:main"]);
}

async function expectRefusedBeforeRunning(key: string, says: string | RegExp): Promise<void> {
  const before = await repoState(repo);
  const push = await pushMain();

  expect(push.code).not.toBe(0);
  expect(push.output).toContain(`guardrail.${key}`);
  expect(push.output).toMatch(says);
  expect(push.output).toContain("pre-receive hook declined");
  expect(await repoState(repo)).toMatchObject({ refs: before.refs, files: before.files });
  expect(repo.audit().at(-1)).toMatchObject({ verdict: "refused" });
  // Nothing ran: the mark was never made (`wx` fails on an existing file).
  expect(() => writeFileSync(marker, "", { flag: "wx" })).not.toThrow();
  rmSync(marker);
}

describe("a guardrail.workdir that leaves the checkout in the configuration", () => {
  test.each(["..", "sub/../..", "/etc"])(
    "%j is refused before any pushed code runs, naming the key",
    async (workdir) => {
      await commitWith((work) => mkdirSync(join(work, "sub")));
      await repo.config("guardrail.workdir", workdir);
      await expectRefusedBeforeRunning("workdir", "must be a path inside the repository");
    },
  );
});

describe("a guardrail.workdir that the pushed commit makes a symlink out of its tree", () => {
  test.each([
    ["to the repository", "BARE"],
    ["upwards", "../../../.."],
  ])("%s is refused and no command runs there", async (_, target) => {
    const to = target === "BARE" ? repo.bare : target;
    const sha = await commitWith((work) => symlinkSync(to, join(work, "app")));
    await repo.config("guardrail.workdir", "app");
    await expectRefusedBeforeRunning(
      "workdir",
      `guardrail.workdir "app" leads out of the files of ${sha.slice(0, 7)} through a symlink`,
    );
  });

  test("one level down (app/lib with app a symlink to /usr) is refused too", async () => {
    const sha = await commitWith((work) => symlinkSync("/usr", join(work, "app")));
    await repo.config("guardrail.workdir", "app/lib");
    await expectRefusedBeforeRunning(
      "workdir",
      `guardrail.workdir "app/lib" leads out of the files of ${sha.slice(0, 7)}`,
    );
  });

  test("a symlink to a folder inside the tree is followed, and the tests run there", async () => {
    await commitWith((work) => {
      mkdirSync(join(work, "real/app"), { recursive: true });
      writeFileSync(join(work, "real/app/README"), "the app lives here");
      symlinkSync("real/app", join(work, "app"));
    });
    await repo.config("guardrail.workdir", "app");
    const push = await pushMain();

    expect(push.output).not.toContain("push refused");
    expect(push.code).toBe(0);
    expect(readFileSync(marker, "utf8").trim()).toMatch(/\/guardrail-push-[^/]+\/tree\/real\/app$/);
    rmSync(marker);
  });

  test("a file, not a folder, is refused as not a folder", async () => {
    const sha = await commitWith((work) => writeFileSync(join(work, "app"), "not a folder"));
    await repo.config("guardrail.workdir", "app");
    await expectRefusedBeforeRunning(
      "workdir",
      `guardrail.workdir "app" is not a folder of ${sha.slice(0, 7)}`,
    );
  });
});

describe("malformed configuration values", () => {
  test("overflowing timers and a workdir with a newline are refused at once, each key named", async () => {
    await commitWith(() => {});
    await repo.config("guardrail.timeout", "99999999999");
    await repo.config("guardrail.progressInterval", "9999999");
    await repo.config("guardrail.workdir", "app\nother");
    await repo.config("guardrail.cacheDir", "relative/cache");
    await expectRefusedBeforeRunning(
      "timeout",
      /guardrail\.timeout = "99999999999": must be at most 86400/,
    );
    const output = (await pushMain()).output;
    expect(output).toMatch(/guardrail\.progressInterval = "9999999": must be at most 86400/);
    expect(output).toMatch(/guardrail\.workdir = "app\\nother": must not contain control/);
    expect(output).toMatch(/guardrail\.cacheDir = "relative\/cache": must be an absolute path/);
  });
});
