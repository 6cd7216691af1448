// Test-only: a way for the fault suite to crash the sidecar at an exact point that cannot be
// timed from outside (publishing takes a few system calls). Inert unless the environment
// variable GUARDRAIL_TEST_STOP_AT names the point; never set it in production. Every run that
// sees it set says so in its log (a warning), so a variable leaked into a deployment shows.

/** The points a test can stop at, in the order a backup passes them. */
export type Failpoint = "publish:manifest-written" | "publish:manifest-linked" | "publish:linked";

/**
 * When GUARDRAIL_TEST_STOP_AT equals `point`, stops the whole process (all threads) with
 * SIGSTOP, so a test can then SIGKILL it there, as a power cut or the OOM killer would.
 */
export function failpoint(point: Failpoint): void {
  if (process.env.GUARDRAIL_TEST_STOP_AT === point) process.kill(process.pid, "SIGSTOP");
}

/** The failpoint named by GUARDRAIL_TEST_STOP_AT, if any: for the warning at the start of a run. */
export function armedFailpoint(): string | undefined {
  return process.env.GUARDRAIL_TEST_STOP_AT || undefined;
}
