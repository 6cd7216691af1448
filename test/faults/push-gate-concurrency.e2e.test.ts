// Several pushes at once, to the same repository and to others: each gets the verdict of its own
// commit, none sees another's output, and every workspace is gone afterwards.
import { cpSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import {
  createForgejoRepo,
  PROJECT,
  run,
  type CommandResult,
  type ForgejoRepo,
} from "../support/forgejo-repo.js";
import { processesUsing } from "../support/processes.js";

const repos: ForgejoRepo[] = [];

afterEach(() => {
  for (const repo of repos.splice(0)) repo.remove();
});

async function newRepo(): Promise<ForgejoRepo> {
  const repo = await createForgejoRepo();
  repos.push(repo);
  return repo;
}

/** A second working clone of `repo` whose HEAD holds `fixture`; returns its folder and sha. */
async function cloneWith(repo: ForgejoRepo, name: string, fixture: string) {
  const dir = join(repo.root, name);
  await run("git", ["clone", "-q", repo.bare, dir]);
  for (const entry of readdirSync(dir)) {
    if (entry !== ".git") rmSync(join(dir, entry), { recursive: true, force: true });
  }
  cpSync(join(PROJECT, "test/fixtures", fixture), dir, { recursive: true });
  const who = ["-c", `user.name=${name}`, "-c", `user.email=${name}@example.com`];
  await run("git", ["-C", dir, "add", "-A"]);
  await run("git", ["-C", dir, ...who, "commit", "-q", "-m", `${fixture} from ${name}`]);
  const sha = (await run("git", ["-C", dir, "rev-parse", "HEAD"])).output.trim();
  return { dir, sha };
}

function pushFrom(repo: ForgejoRepo, dir: string, ref: string): Promise<CommandResult> {
  return run("git", ["-C", dir, "push", "origin", ref], { env: { TMPDIR: repo.hookTmp } });
}

function expectAllClean(): void {
  for (const repo of repos) {
    expect(repo.leftoverWorkspaces()).toEqual([]);
    expect(processesUsing(repo.hookTmp)).toEqual([]);
  }
}

describe("two pushes at once to the same branch", () => {
  test("use separate workspaces; git's ref lock decides which one lands", async () => {
    const repo = await newRepo();
    const first = await cloneWith(repo, "first", "passing");
    const second = await cloneWith(repo, "second", "passing");

    const [a, b] = await Promise.all([
      pushFrom(repo, first.dir, "HEAD:main"),
      pushFrom(repo, second.dir, "HEAD:main"),
    ]);
    // Both commits pass their tests; only one can be the new main.
    expect([a.code, b.code].filter((code) => code === 0)).toHaveLength(1);
    const [winner, loser] = a.code === 0 ? [first, b] : [second, a];
    expect(await repo.git(["rev-parse", "main"], repo.bare)).toBe(winner.sha);
    expect(loser.output).not.toContain("push refused");
    expect(loser.output).toMatch(
      /failed to update ref|cannot lock ref|fetch first|non-fast-forward|rejected/,
    );
    expectAllClean();
  });
});

describe("five pushes at once to three branches of one repository and to two others", () => {
  test("each gets the verdict of its own commit, with no output of another", async () => {
    const [shared, other, third] = [await newRepo(), await newRepo(), await newRepo()];
    await shared.config("guardrail.branch", ["main", "release", "next"]);
    const pushes = [
      { repo: shared, ...(await cloneWith(shared, "a", "passing")), ref: "main", ok: true },
      { repo: shared, ...(await cloneWith(shared, "b", "failing")), ref: "release", ok: false },
      { repo: shared, ...(await cloneWith(shared, "c", "lockfile-stale")), ref: "next", ok: false },
      { repo: other, ...(await cloneWith(other, "d", "failing")), ref: "main", ok: false },
      { repo: third, ...(await cloneWith(third, "e", "passing")), ref: "main", ok: true },
    ];
    const shas = pushes.map((push) => push.sha.slice(0, 7));

    const results = await Promise.all(
      pushes.map((push) => pushFrom(push.repo, push.dir, `HEAD:${push.ref}`)),
    );

    results.forEach((result, index) => {
      const push = pushes[index]!;
      const own = shas[index]!;
      expect(result.code === 0, `${push.ref} of ${own}`).toBe(push.ok);
      expect(result.output).toContain(
        push.ok ? `✓ ${own} (${push.ref})` : `✗ ${own} (${push.ref})`,
      );
      for (const sha of shas.filter((other) => other !== own)) {
        expect(result.output).not.toContain(sha);
      }
    });
    const landed = await shared.git(["for-each-ref", "--format=%(refname:short)"], shared.bare);
    expect(landed.split("\n")).toEqual(["main"]);
    expect(
      shared
        .audit()
        .map((line) => line.verdict)
        .sort(),
    ).toEqual(["accepted", "refused", "refused"]);
    expect(other.audit().map((line) => line.verdict)).toEqual(["refused"]);
    expect(third.audit().map((line) => line.verdict)).toEqual(["accepted"]);
    expectAllClean();
  });
});
