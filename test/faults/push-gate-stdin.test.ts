// Random pre-receive stdin through the push gate, in this process (the code the binary runs,
// from runGate down), against real bare repositories with real commits and a real test command.
// The compiled hook gets a few hundred of the same cases in push-gate-stdin.e2e.test.ts.
import { readdirSync } from "node:fs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseRefUpdates, type RefUpdate } from "../../hooks/refs.js";
import { describeError, GuardrailError, InternalError } from "../../shared/errors.js";
import { createGateRepo, gateInProcess, type GateRepo } from "../support/gate-repo.js";
import { expectedRefusal, expectGateObeys } from "../support/gate-oracle.js";
import { stdinArb } from "../support/ref-lines.js";

// Cases whose tests run cost ~50-100 ms each on 2 busy cores; parsing alone costs microseconds.
const GATE_RUNS = 1200;
const PARSE_RUNS = 5000;
const savedTmpdir = process.env.TMPDIR;
let repos: GateRepo[] = [];

beforeAll(() => {
  repos = [
    createGateRepo({ format: "sha1", allowDelete: false }),
    createGateRepo({ format: "sha256", allowDelete: true }),
  ];
});

afterAll(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  for (const repo of repos) repo.remove();
});

describe("the push gate on random stdin", () => {
  test(`reads well-formed ref lines and names the first bad line of any other input (${PARSE_RUNS} cases)`, () => {
    const cases = fc.nat(repos.length - 1).chain((index) => stdinArb(repos[index] as GateRepo));

    fc.assert(
      fc.property(cases, (stdin) => {
        const refusal = expectedRefusal(stdin);
        let parsed: RefUpdate[] | undefined;
        try {
          parsed = parseRefUpdates(stdin.bytes.toString("utf8"));
        } catch (error) {
          expect(error).toBeInstanceOf(GuardrailError);
          expect(describeError(error)).toContain(refusal ?? "no error at all");
          return;
        }
        expect(refusal).toBeUndefined();
        const updates = stdin.lines.flatMap((line) => (line.kind === "update" ? [line] : []));
        expect(parsed.map((update) => [update.oldSha, update.newSha, update.ref])).toEqual(
          updates.map((update) => [update.oldSha, update.newSha, update.ref.toString("utf8")]),
        );
      }),
      { numRuns: PARSE_RUNS },
    );
  });

  test(`never crashes, never passes an untested gated ref and names malformed lines (${GATE_RUNS} cases)`, async () => {
    const cases = fc.nat(repos.length - 1).chain((index) => {
      const repo = repos[index] as GateRepo;
      return stdinArb(repo).map((stdin) => ({ repo, stdin }));
    });

    await fc.assert(
      fc.asyncProperty(cases, async ({ repo, stdin }) => {
        const outcome = await gateInProcess(repo, stdin.bytes);

        // A refusal for any reason is an expected error with a message, never a bug report.
        if (outcome.error !== undefined) {
          expect(outcome.error).toBeInstanceOf(GuardrailError);
          expect(outcome.error).not.toBeInstanceOf(InternalError);
          expect(outcome.message).not.toMatch(/\n\s+at /);
        }
        expectGateObeys(repo, stdin, outcome);
        expect(readdirSync(repo.tmp)).toEqual([]);
      }),
      { numRuns: GATE_RUNS },
    );
  });
});
