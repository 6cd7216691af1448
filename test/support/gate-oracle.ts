// What the push gate must do with made-up stdin (ref-lines.ts), judged from how each line was
// made, never from the parser under test.
import { expect } from "vitest";
import type { GateRepo, GateRun } from "./gate-repo.js";
import type { Stdin, StdinLine } from "./ref-lines.js";

/** Gated by the repository's `guardrail.branch` (main and release/*), judged from the text. */
export function isGatedRef(ref: string): boolean {
  return ref === "refs/heads/main" || /^refs\/heads\/release\/[^/]*$/.test(ref);
}

/**
 * What the refusal of malformed stdin must name: `ref line N` for the first malformed line (a
 * ref repeated counts as malformed where it repeats), "no ref updates" when no line is an
 * update, undefined when the input is well-formed.
 */
export function expectedRefusal(stdin: Stdin): string | undefined {
  const seen = new Set<string>();
  for (const [index, line] of stdin.lines.entries()) {
    if (line.kind === "blank") continue;
    const ref = line.kind === "update" ? line.ref.toString("utf8") : undefined;
    if (line.kind === "bad" || seen.has(ref ?? "")) return `ref line ${index + 1}`;
    seen.add(ref ?? "");
  }
  return seen.size === 0 ? "no ref updates" : undefined;
}

/** The well-formed updates of gated refs: the ones whose tests decide the push. */
export function gatedUpdates(stdin: Stdin): (StdinLine & { kind: "update" })[] {
  return stdin.lines.filter(
    (line): line is StdinLine & { kind: "update" } =>
      line.kind === "update" && isGatedRef(line.ref.toString("utf8")),
  );
}

/**
 * Asserts what the gate must do with `stdin`: refuse malformed input naming its first bad line
 * without running anything; never accept a gated ref unless its exact commit was tested and
 * passed (or it is a deletion that guardrail.allowDelete allows); test nothing but gated commits,
 * each once; and accept a well-formed push whose gated commits all pass, so that a gate refusing
 * everything fails too.
 */
export function expectGateObeys(repo: GateRepo, stdin: Stdin, outcome: GateRun): void {
  const refusal = expectedRefusal(stdin);
  if (refusal !== undefined) {
    expect(outcome.accepted).toBe(false);
    expect(outcome.message).toContain(refusal);
    expect(outcome.tested).toEqual([]);
    return;
  }
  expect(outcome.message).not.toMatch(/cannot read ref line|no ref updates/);

  const gated = gatedUpdates(stdin).map((update) => ({
    ref: update.ref.toString("utf8"),
    newSha: update.newSha,
    isDelete: /^0+$/.test(update.newSha),
    commit: repo.commitOf(update.newSha),
  }));
  const allowed = gated.map(({ isDelete, commit }) =>
    isDelete ? repo.allowDelete : commit !== undefined && !repo.failing.includes(commit),
  );
  if (outcome.accepted) {
    for (const { ref, newSha, isDelete, commit } of gated) {
      const what = `${ref} -> ${newSha} accepted`;
      if (isDelete) expect(repo.allowDelete, `${what} though deletes are not allowed`).toBe(true);
      else expect(outcome.tested, `${what} though its tests did not run`).toContain(commit);
    }
    expect(allowed.every(Boolean), "accepted though a gated commit failed its tests").toBe(true);
  } else if (allowed.every(Boolean)) {
    expect.fail(`a push whose gated commits all pass was refused:\n${outcome.message}`);
  }

  // Only gated commits are tested, each pushed id once (a tag and its commit are two ids).
  const gatedCommits = gated.flatMap(({ commit }) => (commit ? [commit] : []));
  for (const commit of outcome.tested) expect(gatedCommits).toContain(commit);
  expect(outcome.tested.length).toBeLessThanOrEqual(new Set(gated.map((g) => g.newSha)).size);
}
