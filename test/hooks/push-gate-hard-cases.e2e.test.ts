// The push gate against pushed code that is wrong rather than hostile: a stale lockfile, a tool
// the server lacks. Faults and abuse (hangs, orphans, floods, a killed hook, pushes at once, the
// environment pushed code sees, resource limits) are in test/faults/push-gate-*.e2e.test.ts.
import { describe, expect, test } from "vitest";
import { useForgejoRepo } from "../support/use-forgejo-repo.js";

const repo = useForgejoRepo();

describe("a lockfile out of step with package.json", () => {
  test("is refused with a message that says so and how to fix it", async () => {
    const sha = await repo().commitFixture("lockfile-stale");
    const push = await repo().push(["origin", "main"]);

    expect(push.code).not.toBe(0);
    expect(push.output).toContain("bun.lock is out of step with package.json");
    expect(push.output).toContain("run `bun install` locally, commit the updated bun.lock");
    expect(push.output).toContain(`push refused: bun.lock out of step in ${sha.slice(0, 7)}`);
  });
});

describe("a missing tool on the server", () => {
  test("refuses the push and shows the shell's complaint", async () => {
    await repo().config("guardrail.installCommand", "pnpm install --frozen-lockfile");
    const sha = await repo().commitFixture("passing");
    const push = await repo().push(["origin", "main"]);

    expect(push.code).not.toBe(0);
    expect(push.output).toContain("installing dependencies failed (exit 127)");
    expect(push.output).toMatch(/pnpm: (command )?not found/);
    expect(push.output).toContain(`push refused: install failed for ${sha.slice(0, 7)}`);
  });
});
