// The push gate end to end: a bare repository laid out like Forgejo's, the built hook installed
// by scripts/install-hook, and real `git push` of small bun apps from test/fixtures.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { useForgejoRepo } from "../support/use-forgejo-repo.js";

const repo = useForgejoRepo();

describe("a push to main", () => {
  test("creating main with passing tests is accepted with one short line", async () => {
    await repo().commitFixture("passing");
    const push = await repo().push(["origin", "main"]);

    expect(push.code).toBe(0);
    const ours = push.output.split("\n").filter((line) => line.includes("guardrail:"));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/guardrail: ✓ [0-9a-f]{7} \(main\): 2 tests passed in \d+\.\ds/);
    expect(await repo().git(["rev-parse", "main"], repo().bare)).toBe(
      await repo().git(["rev-parse", "HEAD"]),
    );
  });

  test("creating main with a failing test is refused and says what failed", async () => {
    const sha = await repo().commitFixture("failing");
    const push = await repo().push(["origin", "main"]);

    expect(push.code).not.toBe(0);
    expect(push.output).toContain(`✗ ${sha.slice(0, 7)} (main): 1 of 2 tests failed`);
    expect(push.output).toContain("guardrail:   command: bun test");
    expect(push.output).toContain("tasks.test.ts: tasks > a finished task is not open");
    expect(push.output).toContain("Expected: 0");
    expect(push.output).toContain(
      `git checkout ${sha} && bun install --frozen-lockfile && bun test`,
    );
    expect(push.output).toContain(`guardrail: push refused: tests failed in ${sha.slice(0, 7)}`);
    expect(push.output).toContain("pre-receive hook declined");
    for (const line of push.output.split("\n").filter((l) => l.startsWith("remote: "))) {
      expect(line).toMatch(/^remote: guardrail: /);
    }
    await expect(repo().git(["rev-parse", "--verify", "main"], repo().bare)).rejects.toThrow();
  });

  test("an update is tested, and the fix of a refused push is accepted", async () => {
    await repo().commitFixture("passing");
    expect((await repo().push(["origin", "main"])).code).toBe(0);

    await repo().commitFixture("failing", "break it");
    expect((await repo().push(["origin", "main"])).code).not.toBe(0);

    const fixed = await repo().commitFixture("passing", "fix it");
    const push = await repo().push(["origin", "main"]);
    expect(push.code).toBe(0);
    expect(await repo().git(["rev-parse", "main"], repo().bare)).toBe(fixed);
  });

  test("a force-push tests the new tip", async () => {
    await repo().commitFixture("passing");
    await repo().commitFixture("passing", "second");
    expect((await repo().push(["origin", "main"])).code).toBe(0);

    await repo().git(["reset", "-q", "--hard", "HEAD~1"]);
    const broken = await repo().commitFixture("failing", "rewritten history");
    const refused = await repo().push(["--force", "origin", "main"]);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(`tests failed in ${broken.slice(0, 7)}`);

    const good = await repo().commitFixture("passing", "rewritten and fixed");
    expect((await repo().push(["--force", "origin", "main"])).code).toBe(0);
    expect(await repo().git(["rev-parse", "main"], repo().bare)).toBe(good);
  });

  test("the audit log gets one line per push with pusher, refs, shas and verdict", async () => {
    const sha = await repo().commitFixture("failing");
    await repo().push(["origin", "main"], { GITEA_PUSHER_NAME: "alice" });

    const [line] = repo().audit();
    expect(repo().audit()).toHaveLength(1);
    expect(line?.pusher).toBe("alice");
    expect(line?.verdict).toBe("refused");
    expect(line?.refs).toEqual([
      expect.objectContaining({ ref: "refs/heads/main", change: "create", action: "test" }),
    ]);
    expect(line?.tested).toEqual([expect.objectContaining({ sha, ok: false, failure: "tests" })]);
  });
});

describe("refs that are not gated", () => {
  test("a feature branch with failing tests passes at once", async () => {
    await repo().commitFixture("failing");
    const push = await repo().push(["origin", "HEAD:refs/heads/feature"]);

    expect(push.code).toBe(0);
    expect(push.output).not.toContain("guardrail:");
    expect(repo().audit()[0]?.refs[0]).toMatchObject({
      action: "pass",
      reason: "not a protected branch",
    });
  });

  test("tags, refs/pull and refs/for pass without a checkout", async () => {
    await repo().commitFixture("failing");
    await repo().git(["tag", "v1"]);
    const push = await repo().push(["origin", "v1", "HEAD:refs/pull/7/head", "HEAD:refs/for/main"]);

    expect(push.code).toBe(0);
    expect(repo().audit()[0]?.tested).toEqual([]);
    expect(
      repo()
        .audit()[0]
        ?.refs.map((r) => r.action),
    ).toEqual(["pass", "pass", "pass"]);
  });

  test("a push Forgejo marks internal passes even to main", async () => {
    await repo().commitFixture("failing");
    const push = await repo().push(["origin", "main"], { GITEA_INTERNAL_PUSH: "true" });

    expect(push.code).toBe(0);
    expect(repo().audit()[0]).toMatchObject({ verdict: "accepted", mode: "internal", tested: [] });
  });

  test("guardrail.branch replaces the default and takes several values and globs", async () => {
    await repo().config("guardrail.branch", ["production", "release/*"]);
    await repo().commitFixture("failing");

    expect((await repo().push(["origin", "main"])).code).toBe(0);
    expect((await repo().push(["origin", "HEAD:production"])).code).not.toBe(0);
    expect((await repo().push(["origin", "HEAD:release/1.2"])).code).not.toBe(0);
    expect((await repo().push(["origin", "HEAD:release/1.2/hotfix"])).code).toBe(0);
  });
});

describe("deleting a protected branch", () => {
  test("is refused by default and allowed with guardrail.allowDelete", async () => {
    await repo().commitFixture("passing");
    expect((await repo().push(["origin", "main", "HEAD:other"])).code).toBe(0);
    await repo().git(["symbolic-ref", "HEAD", "refs/heads/other"], repo().bare);

    const refused = await repo().push(["origin", ":main"]);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain("deleting protected branch main is not allowed");

    await repo().config("guardrail.allowDelete", "true");
    expect((await repo().push(["origin", ":main"])).code).toBe(0);
    await expect(repo().git(["rev-parse", "--verify", "main"], repo().bare)).rejects.toThrow();
  });
});

describe("a push of several refs", () => {
  test("gets one verdict whatever the order of its refs", async () => {
    await repo().config("guardrail.branch", ["main", "staging"]);
    await repo().commitFixture("passing");
    await repo().git(["branch", "good"]);
    await repo().commitFixture("failing", "broken");
    await repo().git(["branch", "bad"]);

    const orders = [
      ["origin", "good:main", "bad:staging", "bad:feature"],
      ["origin", "bad:feature", "bad:staging", "good:main"],
      ["origin", "bad:staging", "good:main"],
    ];
    for (const order of orders) {
      const push = await repo().push(order);
      expect(push.code).not.toBe(0);
      expect(push.output).toContain("push refused: tests failed in");
    }
    await expect(repo().git(["rev-parse", "--verify", "main"], repo().bare)).rejects.toThrow();
    expect(
      repo()
        .audit()
        .map((line) => line.verdict),
    ).toEqual(["refused", "refused", "refused"]);

    const accepted = await repo().push(["origin", "bad:feature", "good:main", "good:staging"]);
    expect(accepted.code).toBe(0);
    expect(repo().audit().at(-1)?.tested).toHaveLength(1);
  });
});

describe("who may push and bypass", () => {
  test("guardrail.pushers refuses anyone else before any pushed code runs", async () => {
    await repo().config("guardrail.pushers", ["alice", "bob"]);
    await repo().commitFixture("passing");

    const refused = await repo().push(["origin", "main"], { GITEA_PUSHER_NAME: "mallory" });
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain("mallory may not push to main (guardrail.pushers)");
    expect(repo().audit()[0]?.tested).toEqual([]);

    expect((await repo().push(["origin", "main"], { GITEA_PUSHER_NAME: "bob" })).code).toBe(0);
  });

  test("-o guardrail.skip is honoured for pushers in guardrail.allowSkip, and logged", async () => {
    await repo().config("guardrail.allowSkip", "alice");
    await repo().commitFixture("failing");

    const push = await repo().push(["-o", "guardrail.skip", "origin", "main"], {
      GITEA_PUSHER_NAME: "alice",
    });
    expect(push.code).toBe(0);
    expect(push.output).toContain("tests skipped with -o guardrail.skip by alice");
    expect(repo().audit()[0]).toMatchObject({
      verdict: "accepted",
      bypass: { requested: true, honoured: true },
      tested: [],
    });
  });

  test("-o guardrail.skip from anyone else is ignored and the tests still decide", async () => {
    await repo().config("guardrail.allowSkip", "alice");
    await repo().commitFixture("failing");

    const push = await repo().push(["-o", "guardrail.skip", "origin", "main"], {
      GITEA_PUSHER_NAME: "bob",
    });
    expect(push.code).not.toBe(0);
    expect(push.output).toContain("-o guardrail.skip ignored: bob is not in guardrail.allowSkip");
    expect(repo().audit()[0]).toMatchObject({ verdict: "refused", bypass: { honoured: false } });
  });

  test("a refusal tells a pusher allowed to bypass how to do it", async () => {
    await repo().config("guardrail.allowSkip", "alice");
    await repo().commitFixture("failing");
    const push = await repo().push(["origin", "main"], { GITEA_PUSHER_NAME: "alice" });
    expect(push.output).toContain("git push -o guardrail.skip");
  });
});

describe("guardrail.mode", () => {
  test("warn runs the tests, reports the failure and accepts the push", async () => {
    await repo().config("guardrail.mode", "warn");
    await repo().commitFixture("failing");
    const push = await repo().push(["origin", "main"]);

    expect(push.code).toBe(0);
    expect(push.output).toContain("1 of 2 tests failed");
    expect(push.output).toContain("push accepted anyway: guardrail.mode is warn");
  });

  test("off lets everything through without testing", async () => {
    await repo().config("guardrail.mode", "off");
    await repo().commitFixture("failing");
    const push = await repo().push(["origin", "main"]);
    expect(push.code).toBe(0);
    expect(push.output).toContain("guardrail: guardrail.mode is off: main not tested");
    expect(repo().audit()[0]?.tested).toEqual([]);
  });
});

describe("bad configuration", () => {
  test("refuses the push and names every bad key", async () => {
    await repo().config("guardrail.timeout", "soon");
    await repo().config("guardrail.mode", "strict");
    await repo().config("guardrail.brnach", "main");
    await repo().commitFixture("passing");
    const push = await repo().push(["origin", "main"]);

    expect(push.code).not.toBe(0);
    expect(push.output).toContain('guardrail.timeout = "soon"');
    expect(push.output).toContain('guardrail.mode = "strict": must be enforce, warn or off');
    expect(push.output).toContain("guardrail.brnach: unknown key");
    expect(push.output).toContain("must correct it with `git config` in the bare repository");
    expect(push.output).toContain("until then every push is refused");
  });

  test("a passEnv naming git's variables is refused", async () => {
    await repo().config("guardrail.passEnv", "GIT_DIR");
    await repo().commitFixture("passing");
    const push = await repo().push(["origin", "main"]);
    expect(push.code).not.toBe(0);
    expect(push.output).toContain("may not name GIT_*");
  });
});

describe("a protected branch pointed at something other than a commit", () => {
  test("is refused, saying what the object is", async () => {
    await repo().commitFixture("passing");
    const tree = await repo().git(["rev-parse", "HEAD^{tree}"]);
    const push = await repo().push(["origin", `${tree}:refs/heads/main`]);

    expect(push.code).not.toBe(0);
    expect(push.output).toContain(`${tree.slice(0, 7)} is a tree, not a commit`);
  });
});

describe("a guardrail.workdir the commit does not have", () => {
  test("is refused with the key named", async () => {
    await repo().config("guardrail.workdir", "app");
    await repo().commitFixture("passing");
    const push = await repo().push(["origin", "main"]);

    expect(push.code).not.toBe(0);
    expect(push.output).toMatch(/guardrail.workdir "app" is not a folder of [0-9a-f]{7}/);
  });
});

describe("an audit log that cannot be written", () => {
  test("refuses the push and names the file, even when the tests pass", async () => {
    mkdirSync(join(repo().bare, "guardrail-audit.log"));
    await repo().commitFixture("passing");
    const push = await repo().push(["origin", "main"]);

    expect(push.code).not.toBe(0);
    expect(push.output).toContain("the verdict was accepted, but the audit log");
    expect(push.output).toContain("guardrail-audit.log a file the git user can append to");
  });
});

describe("sha256 repositories", () => {
  const sha256 = useForgejoRepo({ objectFormat: "sha256" });

  test("64-hex object ids are read and gated like 40-hex ones", async () => {
    const bad = await sha256().commitFixture("failing");
    expect(bad).toMatch(/^[0-9a-f]{64}$/);
    expect((await sha256().push(["origin", "main"])).code).not.toBe(0);

    await sha256().commitFixture("passing", "fixed");
    expect((await sha256().push(["origin", "main"])).code).toBe(0);
    expect(sha256().audit()[1]?.tested[0]?.sha).toMatch(/^[0-9a-f]{64}$/);
  });
});
