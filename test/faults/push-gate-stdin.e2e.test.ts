// Random pre-receive stdin through the compiled hook (dist/pre-receive), run as git runs a
// pre-receive hook: working directory the bare repository, GIT_DIR=., the ref lines on stdin.
// Each case also runs in this process, to prove that the binary reaches the same verdict and
// tests the same commits as the code the in-process suite checks thousands of times.
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { HOOK_BINARY } from "../support/forgejo-repo.js";
import {
  createGateRepo,
  gateInProcess,
  runHookBinary,
  type GateRepo,
} from "../support/gate-repo.js";
import { expectGateObeys } from "../support/gate-oracle.js";
import { stdinArb } from "../support/ref-lines.js";

// Each case starts the ~110 MB binary, runs its tests, then runs again in-process.
const RUNS = 200;
const savedTmpdir = process.env.TMPDIR;
let repos: GateRepo[] = [];
let hookBinary = HOOK_BINARY;

beforeAll(() => {
  if (!existsSync(HOOK_BINARY)) throw new Error(`${HOOK_BINARY} is missing: run npm run build`);
  repos = [
    createGateRepo({ format: "sha1", allowDelete: false }),
    createGateRepo({ format: "sha256", allowDelete: true }),
  ];
  // A copy, so that a rebuild of dist/ while this runs cannot swap the binary between cases.
  hookBinary = join(repos[0]?.root ?? "", "pre-receive");
  copyFileSync(HOOK_BINARY, hookBinary);
  chmodSync(hookBinary, 0o755);
});

afterAll(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  for (const repo of repos) repo.remove();
});

function auditVerdicts(repo: GateRepo): string[] {
  const file = join(repo.bare, "guardrail-audit.log");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { verdict: string }).verdict);
}

describe("the compiled push gate on random stdin", () => {
  test(`exits 0 or 1 with a message, never passes an untested gated ref and agrees with the gate run in-process (${RUNS} cases)`, async () => {
    const cases = fc.nat(repos.length - 1).chain((index) => {
      const repo = repos[index] as GateRepo;
      return stdinArb(repo).map((stdin) => ({ repo, stdin }));
    });

    await fc.assert(
      fc.asyncProperty(cases, async ({ repo, stdin }) => {
        const audited = auditVerdicts(repo).length;
        repo.resetTested();
        const hook = await runHookBinary(repo, hookBinary, stdin.bytes);
        const tested = repo.tested();

        // No crash: a verdict, every line said by the gate itself (no stack trace, no panic).
        expect([0, 1]).toContain(hook.code);
        const lines = hook.output.split("\n").filter(Boolean);
        for (const line of lines) expect(line).toMatch(/^guardrail: /);
        expect(hook.output).not.toMatch(/internal error/);
        if (hook.code === 1) expect(hook.output).toContain("push refused");
        const outcome = { accepted: hook.code === 0, message: hook.output, tested };
        expectGateObeys(repo, stdin, outcome);

        // Every verdict is on record, and nothing is left in the temp folder.
        expect(auditVerdicts(repo).slice(audited)).toEqual([
          hook.code === 0 ? "accepted" : "refused",
        ]);
        expect(readdirSync(repo.tmp)).toEqual([]);

        const inProcess = await gateInProcess(repo, stdin.bytes);
        expect({ accepted: inProcess.accepted, tested: inProcess.tested }).toEqual({
          accepted: outcome.accepted,
          tested,
        });
      }),
      { numRuns: RUNS },
    );
  });
});
