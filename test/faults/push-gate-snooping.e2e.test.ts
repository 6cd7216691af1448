// Pushed tests that look for the repository they were pushed to: in their environment, with
// git's own discovery, through relative paths above their checkout, and by running git to
// change refs and config. None finds it, and the repository holds exactly what was pushed.
// Not covered here, and possible (docs/security.md): reading the parents' /proc/<pid>/environ
// or an absolute path to the repository, as the same user.
import { describe, expect, test } from "vitest";
import { repoState } from "../support/gate-faults.js";
import { useForgejoRepo } from "../support/use-forgejo-repo.js";

const repo = useForgejoRepo();

describe("tests that snoop for the repository", () => {
  test("find nothing through their environment, git or relative paths, change nothing, and the push lands with exactly its own objects", async () => {
    const sha = await repo().commitFixture("snoop");
    const before = await repoState(repo());
    const push = await repo().push(["origin", "main"], {
      GITEA_REPO_NAME: "app",
      FORGEJO__security__SECRET_KEY: "very-secret",
    });

    // The fixture's three tests assert the snooping found nothing; they must all have run.
    expect(push.output).toMatch(new RegExp(`✓ ${sha.slice(0, 7)} \\(main\\): 3 tests passed`));
    expect(push.code).toBe(0);

    const after = await repoState(repo());
    expect(after.refs).toBe(`refs/heads/main ${sha}`);
    const auditless = (files: Record<string, string>) =>
      Object.fromEntries(Object.entries(files).filter(([path]) => path !== "guardrail-audit.log"));
    expect(auditless(after.files)).toEqual(auditless(before.files));
    const pushed = (await repo().git(["rev-list", "--objects", sha]))
      .split("\n")
      .map((line) => line.split(" ")[0]!);
    expect(after.objects).toEqual([...new Set([...before.objects, ...pushed])].sort());
  });
});
