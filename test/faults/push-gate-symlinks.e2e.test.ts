// A pushed commit whose package.json, lockfile, bunfig.toml or .npmrc is a symlink bun would
// follow out of its tree (bun.lock -> /dev/zero grew an install to 24 GB; bun.lock -> a file of
// the server's had its first line printed to the pusher): refused before any pushed code runs,
// naming the file and why, with nothing of the file outside shown. A symlink that stays inside
// the tree, to a regular file, still installs and tests.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, test } from "vitest";
import { PROJECT } from "../support/forgejo-repo.js";
import { repoState } from "../support/gate-faults.js";
import { useForgejoRepo } from "../support/use-forgejo-repo.js";

const BUN = join(PROJECT, "node_modules/.bin/bun");
const SECRET = "SERVER_TOKEN=do-not-show-9f3c1e";

// One repository for the file: each refused push leaves it as it was.
const repo = useForgejoRepo({ perFile: true });
const mark = (name: string) => join(repo().root, name);

beforeEach(async () => {
  rmSync(mark("installed"), { force: true });
  rmSync(mark("tested"), { force: true });
  await repo().config("guardrail.workdir", []);
  await repo().config("guardrail.cacheDir", mark("cache"));
  await repo().config("guardrail.installCommand", `touch '${mark("installed")}'`);
  await repo().config("guardrail.testCommand", `touch '${mark("tested")}'`);
});

/** Commits the passing fixture plus whatever `extra` adds; returns the short sha. */
async function commitWith(extra: (work: string) => void): Promise<string> {
  await repo().commitFixture("passing");
  extra(repo().work);
  await repo().git(["add", "-A"]);
  await repo().git(["commit", "-q", "--amend", "--allow-empty", "--no-edit"]);
  return (await repo().git(["rev-parse", "HEAD"])).slice(0, 7);
}

function mkfifo(path: string): void {
  const made = spawnSync("mkfifo", [path], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
}

/** Pushes HEAD to main and checks the refusal: the repository unchanged, the reason shown. */
async function expectRefused(says: string): Promise<string> {
  const before = await repoState(repo());
  const push = await repo().push(["--force", "origin", "HEAD:main"]);

  expect(push.code).not.toBe(0);
  expect(push.output).toContain(says);
  expect(push.output).toContain("pre-receive hook declined");
  expect(await repoState(repo())).toMatchObject({ refs: before.refs, files: before.files });
  expect(repo().audit().at(-1)).toMatchObject({ verdict: "refused" });
  expect(existsSync(mark("tested"))).toBe(false);
  return push.output;
}

describe("a file bun reads that the pushed commit makes a symlink", () => {
  test("bun.lock -> /dev/zero is refused, naming the file, before the install runs", async () => {
    const sha = await commitWith((work) => symlinkSync("/dev/zero", join(work, "bun.lock")));
    await expectRefused(
      `bun.lock in ${sha} is a symlink that leads out of the files of the commit`,
    );
    expect(existsSync(mark("installed"))).toBe(false);
  });

  test("bun.lock -> a file of the server's is refused before bun install, and its content is not shown", async () => {
    writeFileSync(mark("secret"), `${SECRET}\n`);
    // The real install: unchecked, bun's parse error quoted the file's first line.
    await repo().config(
      "guardrail.installCommand",
      `touch '${mark("installed")}' && bun install --frozen-lockfile`,
    );
    const sha = await commitWith((work) => symlinkSync(mark("secret"), join(work, "bun.lock")));
    const output = await expectRefused(`bun.lock in ${sha} is a symlink that leads out`);
    expect(output).not.toContain("do-not-show");
    expect(existsSync(mark("installed"))).toBe(false);
  });

  test(".npmrc above guardrail.workdir -> a fifo outside is refused at once, nothing blocking on it", async () => {
    mkfifo(mark("pipe"));
    const sha = await commitWith((work) => {
      mkdirSync(join(work, "app"));
      writeFileSync(join(work, "app/package.json"), '{ "name": "app", "private": true }');
      symlinkSync(mark("pipe"), join(work, ".npmrc"));
    });
    await repo().config("guardrail.workdir", "app");
    await expectRefused(`.npmrc in ${sha} is a symlink that leads out of the files of the commit`);
    expect(existsSync(mark("installed"))).toBe(false);
  });

  test("bunfig.toml turned into a fifo by the install is refused before the tests run", async () => {
    const sha = await commitWith((work) => {
      mkdirSync(join(work, "settings"));
      writeFileSync(join(work, "settings/bunfig.toml"), "");
      symlinkSync("settings/bunfig.toml", join(work, "bunfig.toml"));
    });
    await repo().config(
      "guardrail.installCommand",
      `rm settings/bunfig.toml && mkfifo settings/bunfig.toml && touch '${mark("installed")}'`,
    );
    await expectRefused(`bunfig.toml in ${sha} is a symlink to a fifo, not a regular file`);
    expect(existsSync(mark("installed"))).toBe(true);
  });

  test("bun.lock -> a lockfile inside the tree is followed: bun installs from it and the tests run", async () => {
    await commitWith((work) => {
      mkdirSync(join(work, "dep"));
      writeFileSync(join(work, "dep/package.json"), '{ "name": "local-dep", "version": "1.0.0" }');
      writeFileSync(
        join(work, "package.json"),
        '{ "name": "tasks-app", "private": true, "dependencies": { "local-dep": "file:./dep" } }',
      );
      // A real lockfile, made by the same bun the hook runs.
      const made = spawnSync(BUN, ["install"], { cwd: work, encoding: "utf8" });
      if (made.status !== 0) throw new Error(`bun install failed: ${made.stderr}`);
      rmSync(join(work, "node_modules"), { recursive: true, force: true });
      mkdirSync(join(work, "locks"));
      renameSync(join(work, "bun.lock"), join(work, "locks/bun.lock"));
      symlinkSync("locks/bun.lock", join(work, "bun.lock"));
    });
    await repo().config("guardrail.installCommand", "bun install --frozen-lockfile");
    await repo().config(
      "guardrail.testCommand",
      `test -d node_modules/local-dep && touch '${mark("tested")}'`,
    );
    const push = await repo().push(["--force", "origin", "HEAD:main"]);

    expect(push.output).not.toContain("push refused");
    expect(push.code).toBe(0);
    expect(existsSync(mark("tested"))).toBe(true);
  });
});
