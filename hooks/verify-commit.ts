// One gated commit, start to finish: export its tree, install, test, and always clean up.
import { dirname } from "node:path";
import { describeError, withCleanupError } from "../shared/errors.js";
import { exportCommit, resolveWorkdir } from "./checkout.js";
import type { HookConfig } from "./config.js";
import { failIfDiskFull } from "./disk-space.js";
import { buildTestEnvironment } from "./environment.js";
import { installDependencies } from "./install.js";
import { refuseUnsafeInstallFiles } from "./install-files.js";
import { limitsOf } from "./limits.js";
import type { FailedTest, TestCounts } from "./junit.js";
import { shortSha } from "./refs.js";
import type { StepResult } from "./run-step.js";
import type { Say } from "./say.js";
import { runTests } from "./test-run.js";
import { createWorkspace, type Workspace } from "./workspace.js";

export type FailureKind = "tests" | "install" | "lockfile" | "timeout" | "aborted";

export type CommitVerdict =
  | { ok: true; sha: string; counts: TestCounts | undefined; durationMs: number }
  | {
      ok: false;
      sha: string;
      kind: FailureKind;
      /** The command that failed, as configured. */
      command: string;
      step: StepResult;
      counts: TestCounts | undefined;
      failed: FailedTest[];
      durationMs: number;
    };

export interface VerifyOptions {
  repoDir: string;
  sha: string;
  config: HookConfig;
  deadline: number;
  say: Say;
  signal: AbortSignal;
}

/**
 * Tests commit `sha` in a fresh workspace. Resolves with the verdict for a failed install or
 * failed tests; throws only for problems of the hook itself (disk full, git failing), which the
 * caller turns into a refusal. The workspace is removed on every path.
 */
export async function verifyCommit(options: VerifyOptions): Promise<CommitVerdict> {
  const started = Date.now();
  const workspace = await createWorkspace();

  let outcome: { verdict: CommitVerdict } | { error: unknown };
  try {
    outcome = { verdict: await verifyIn(workspace, options, started) };
  } catch (error) {
    outcome = { error };
  }

  try {
    await workspace.remove();
  } catch (cleanup) {
    if ("error" in outcome) throw withCleanupError(outcome.error, cleanup);
    // The verdict stands; the next gated push sweeps what is left.
    options.say(`warning: could not remove ${workspace.root}: ${describeError(cleanup)}`);
  }
  if ("error" in outcome) throw outcome.error;
  return outcome.verdict;
}

async function verifyIn(
  workspace: Workspace,
  options: VerifyOptions,
  started: number,
): Promise<CommitVerdict> {
  const { config, sha } = options;
  const short = shortSha(sha);
  await exportCommit(options.repoDir, sha, workspace.tree, workspace.root);
  const cwd = await resolveWorkdir(workspace.tree, config.workdir, sha);
  await refuseUnsafeInstallFiles(workspace.tree, cwd, sha);

  const common = {
    sha,
    cwd,
    env: buildTestEnvironment(config, workspace),
    limits: limitsOf(config),
    deadline: options.deadline,
    progressInterval: config.progressInterval,
    tailLines: config.tailLines,
    say: options.say,
    signal: options.signal,
    hidePath: workspace.tree,
  };
  const elapsed = () => Date.now() - started;

  const install = await installDependencies({ ...common, command: config.installCommand }, config);
  if (install.step && !install.step.ok) {
    await failIfDiskFull(dirname(workspace.root), `installing the dependencies of ${short}`);
    const kind = failureKind(install.step, install.lockfileOutOfStep ? "lockfile" : "install");
    return failed(kind, config.installCommand, install.step, undefined, [], elapsed());
  }

  // Again: the install ran pushed code (lifecycle scripts) that may have made new symlinks.
  await refuseUnsafeInstallFiles(workspace.tree, cwd, sha);
  const tests = await runTests({ ...common, command: config.testCommand }, workspace.root);
  if (!tests.step.ok) {
    await failIfDiskFull(dirname(workspace.root), `testing ${short}`);
    const kind = failureKind(tests.step, "tests");
    return failed(kind, config.testCommand, tests.step, tests.counts, tests.failed, elapsed());
  }
  return { ok: true, sha, counts: tests.counts, durationMs: elapsed() };

  function failed(
    kind: FailureKind,
    command: string,
    step: StepResult,
    counts: TestCounts | undefined,
    failedTests: FailedTest[],
    durationMs: number,
  ): CommitVerdict {
    return { ok: false, sha, kind, command, step, counts, failed: failedTests, durationMs };
  }
}

function failureKind(step: StepResult, otherwise: FailureKind): FailureKind {
  if (step.timedOut) return "timeout";
  if (step.aborted) return "aborted";
  return otherwise;
}
