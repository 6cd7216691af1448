// Step: run the pushed commit's tests, asking bun for a JUnit report to name the failures.
import { join } from "node:path";
import { readJunitReport, type FailedTest, type TestCounts } from "./junit.js";
import { runStep, type StepOptions, type StepResult } from "./run-step.js";

export interface TestRunResult {
  step: StepResult;
  /** From the JUnit report, or from bun's summary lines when there is none. */
  counts: TestCounts | undefined;
  failed: FailedTest[];
}

/** Runs the test command; `reportDir` receives the JUnit file. */
export async function runTests(
  options: Omit<StepOptions, "verb">,
  reportDir: string,
): Promise<TestRunResult> {
  const junitPath = join(reportDir, "junit.xml");
  const command = withJunitReport(options.command, junitPath);

  const summary = { pass: -1, fail: -1, skip: 0 };
  const step = await runStep({
    ...options,
    command,
    verb: "testing",
    onLine: (line) => readSummaryLine(line, summary),
  });

  const report = await readJunitReport(junitPath);
  const counts =
    report?.counts ??
    (summary.pass >= 0 || summary.fail >= 0
      ? {
          tests: Math.max(0, summary.pass) + Math.max(0, summary.fail) + summary.skip,
          failures: Math.max(0, summary.fail),
          skipped: summary.skip,
        }
      : undefined);
  return { step, counts, failed: report?.failed ?? [] };
}

/** Adds bun's JUnit reporter to a plain `bun test` command; leaves other commands alone. */
export function withJunitReport(command: string, junitPath: string): string {
  if (!/^bun test(\s|$)/.test(command.trim())) return command;
  const quoted = `'${junitPath.replaceAll("'", "'\\''")}'`;
  return `${command.trim()} --reporter=junit --reporter-outfile=${quoted}`;
}

// bun ends its output with lines like " 198 pass", " 2 fail", " 1 skip".
function readSummaryLine(line: string, summary: { pass: number; fail: number; skip: number }) {
  const match = /^\s*(\d+) (pass|fail|skip)\s*$/.exec(line);
  if (match?.[1] && match[2]) summary[match[2] as "pass" | "fail" | "skip"] = Number(match[1]);
}
