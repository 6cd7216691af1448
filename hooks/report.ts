// What the pusher reads: one short line when all is well, and on a refusal everything needed to
// fix it without asking anyone: the commit, the command, the failing tests, the output's tail,
// the counts, how to reproduce locally and whether a bypass is open to them.
import type { HookConfig } from "./config.js";
import type { TestCounts } from "./junit.js";
import { shortSha } from "./refs.js";
import type { CommitVerdict } from "./verify-commit.js";

type Failure = Extract<CommitVerdict, { ok: false }>;

const MAX_LISTED_FAILURES = 10;

/** The one line printed for a commit whose tests passed. */
export function formatPass(verdict: CommitVerdict, branches: string[]): string {
  return `✓ ${shortSha(verdict.sha)} (${branches.join(", ")}): ${countsText(verdict.counts, true)} in ${seconds(verdict.durationMs)}`;
}

/** The lines printed for a commit that failed, ending with the short headline. */
export function formatFailure(
  verdict: Failure,
  branches: string[],
  config: HookConfig,
  canBypass: boolean,
): string[] {
  const lines: string[] = [];
  const { step } = verdict;

  if (step.tail.length > 0) {
    const dropped = step.droppedLines > 0 ? `; ${step.droppedLines} earlier lines not shown` : "";
    lines.push(`── output of \`${verdict.command}\` (last ${step.tail.length} lines${dropped}) ──`);
    lines.push(...step.tail.map((line) => `│ ${line}`));
    lines.push("──");
  }

  lines.push(`✗ ${shortSha(verdict.sha)} (${branches.join(", ")}): ${headline(verdict, config)}`);
  if (step.limitHit) lines.push(`  ${step.limitHit}`);
  const where = config.workdir === "." ? "" : ` (in ${config.workdir})`;
  lines.push(`  command: ${verdict.command}${where}`);
  if (verdict.counts) {
    lines.push(`  ${countsText(verdict.counts, false)} in ${seconds(verdict.durationMs)}`);
  }
  lines.push(...failingTests(verdict));
  lines.push(...advice(verdict, config));
  lines.push("  reproduce locally:");
  const cd = config.workdir === "." ? "" : `cd ${config.workdir} && `;
  lines.push(
    `    git checkout ${verdict.sha} && ${cd}${config.installCommand} && ${config.testCommand}`,
  );
  if (canBypass) {
    lines.push("  emergency bypass (you are in guardrail.allowSkip; it is logged):");
    lines.push("    git push -o guardrail.skip");
  }
  return lines;
}

/** The short reason used in the last line, which Forgejo's web UI shows. */
export function shortReason(verdict: Failure): string {
  const sha = shortSha(verdict.sha);
  switch (verdict.kind) {
    case "tests":
      return `tests failed in ${sha}`;
    case "lockfile":
      return `bun.lock out of step in ${sha}`;
    case "install":
      return `install failed for ${sha}`;
    case "timeout":
      return `tests timed out for ${sha}`;
    case "aborted":
      return `test run of ${sha} interrupted`;
  }
}

function headline(verdict: Failure, config: HookConfig): string {
  switch (verdict.kind) {
    case "tests":
      return verdict.counts && verdict.counts.failures > 0
        ? `${verdict.counts.failures} of ${plural(verdict.counts.tests, "test")} failed`
        : `the test command failed (${exitText(verdict)})`;
    case "lockfile":
      return "bun.lock is out of step with package.json";
    case "install":
      return `installing dependencies failed (${exitText(verdict)})`;
    case "timeout":
      return `did not finish within ${config.timeout}s (guardrail.timeout); every process it started was stopped`;
    case "aborted":
      return "the test run was interrupted (the push was cancelled or the server is stopping)";
  }
}

function failingTests(verdict: Failure): string[] {
  if (verdict.failed.length === 0) return [];
  const lines = ["  failing tests:"];
  for (const test of verdict.failed.slice(0, MAX_LISTED_FAILURES)) {
    lines.push(`    ${test.file ? `${test.file}: ` : ""}${test.name}`);
    lines.push(...test.message.map((line) => `        ${line.trim()}`));
  }
  const more = verdict.failed.length - MAX_LISTED_FAILURES;
  if (more > 0) lines.push(`    … and ${more} more`);
  return lines;
}

function advice(verdict: Failure, config: HookConfig): string[] {
  if (verdict.kind === "lockfile") {
    return ["  fix: run `bun install` locally, commit the updated bun.lock, and push again"];
  }
  if (verdict.kind === "timeout") {
    return [`  fix: find the test that hangs, or raise guardrail.timeout (now ${config.timeout}s)`];
  }
  return [];
}

function countsText(counts: TestCounts | undefined, passed: boolean): string {
  if (!counts) return passed ? "tests passed" : "no test counts";
  const ok = counts.tests - counts.failures - counts.skipped;
  const skipped = counts.skipped > 0 ? `, ${counts.skipped} skipped` : "";
  return passed
    ? `${plural(ok, "test")} passed${skipped}`
    : `${ok} passed, ${counts.failures} failed${skipped}`;
}

/** "1 test", "2 tests". */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function exitText(verdict: Failure): string {
  return verdict.step.signal ? `killed by ${verdict.step.signal}` : `exit ${verdict.step.exitCode}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
