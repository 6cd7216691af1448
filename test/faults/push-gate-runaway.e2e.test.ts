// Pushed tests that will not stop on their own: they hang, ignore SIGTERM, leave processes
// behind or flood their output. Each is refused or judged as it should be, and afterwards no
// process of theirs runs and no workspace is left.
import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { isAlive } from "../support/processes.js";
import { useForgejoRepo } from "../support/use-forgejo-repo.js";

const repo = useForgejoRepo();

describe("a test run that never ends", () => {
  test("is killed at guardrail.timeout, refused with a timeout message, with progress lines", async () => {
    await repo().config("guardrail.timeout", "4");
    await repo().config("guardrail.progressInterval", "1");
    const sha = await repo().commitFixture("hanging");
    const push = await repo().push(["origin", "main"]);

    expect(push.code).not.toBe(0);
    expect(push.output).toMatch(new RegExp(`still testing ${sha.slice(0, 7)}… \\d+s`));
    expect(push.output).toContain("did not finish within 4s (guardrail.timeout)");
    expect(push.output).toContain(`push refused: tests timed out for ${sha.slice(0, 7)}`);
    expect(repo().audit()[0]?.tested[0]).toMatchObject({ ok: false, failure: "timeout" });
  });

  test("that ignores SIGTERM is killed after the grace period and refused as timed out", async () => {
    // Long enough for bun and its shell to be running with their traps set on a loaded machine.
    await repo().config("guardrail.timeout", "8");
    const sha = await repo().commitFixture("stubborn");
    const push = await repo().push(["origin", "main"]);

    expect(push.code).not.toBe(0);
    // Both the test and its shell saw the SIGTERM and carried on; SIGKILL ended them.
    expect(push.output).toContain("SIGTERM ignored");
    expect(push.output).toContain("shell ignored SIGTERM");
    expect(push.output).toContain(`push refused: tests timed out for ${sha.slice(0, 7)}`);
    expect(await repo().git(["for-each-ref"], repo().bare)).toBe("");
  });
});

describe("a test that leaves a grandchild holding stdout open", () => {
  test("does not make the hook wait, and the grandchild is killed", async () => {
    const pidFile = join(repo().root, "orphan.pid");
    await repo().config("guardrail.passEnv", "ORPHAN_PID_FILE");
    await repo().commitFixture("orphan");
    const push = await repo().push(["origin", "main"], { ORPHAN_PID_FILE: pidFile });

    expect(push.code).toBe(0);
    const orphan = Number(readFileSync(pidFile, "utf8"));
    expect(orphan).toBeGreaterThan(0);
    expect(isAlive(orphan)).toBe(false);
  });
});

describe("a test that leaves processes behind and passes", () => {
  test.each([
    ["", false],
    [", with TMPDIR a symlink", true],
  ])(
    "is accepted, and both are killed: one in its group and one that left group and environment%s",
    async (_, linked) => {
      const pidDir = join(repo().root, "pids");
      mkdirSync(pidDir);
      const tmp = join(repo().root, "tmp-link");
      symlinkSync(repo().hookTmp, tmp);
      await repo().config("guardrail.passEnv", "ESCAPER_PID_DIR");
      await repo().commitFixture("escaper");
      const push = await repo().push(["origin", "main"], {
        ESCAPER_PID_DIR: pidDir,
        TMPDIR: linked ? tmp : repo().hookTmp,
      });

      expect(push.code).toBe(0);
      expect(push.output).toMatch(/✓ [0-9a-f]{7} \(main\): 1 test passed/);
      for (const name of ["background.pid", "escaped.pid"]) {
        const pid = Number(readFileSync(join(pidDir, name), "utf8"));
        expect(pid, name).toBeGreaterThan(0);
        expect(isAlive(pid), name).toBe(false);
      }
    },
  );
});

describe("a test that prints megabytes", () => {
  test("is reported with a bounded tail of its output", async () => {
    await repo().commitFixture("noisy");
    const push = await repo().push(["origin", "main"]);
    const lines = push.output.split("\n");

    expect(push.code).not.toBe(0);
    expect(push.output).toMatch(/last 150 lines; \d+ earlier lines not shown/);
    expect(lines.length).toBeLessThan(220);
    expect(push.output).toContain("noisy.test.ts: prints megabytes, then fails");
  });
});
