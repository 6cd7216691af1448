// What every subcommand shares: turning a thrown error into one line, a hint and an exit code.
import { describeError, exitCodeOf, GuardrailError } from "../../shared/errors.js";

export const PROGRAM = "guardrail-backup";

/** Prints an error as `guardrail-backup: <reason>` (plus its hint) and sets the exit code. */
export function reportFailure(error: unknown): void {
  const message = error instanceof GuardrailError ? error.message : describeError(error);
  process.stderr.write(`${PROGRAM}: ${message}\n`);
  if (error instanceof GuardrailError && error.hint) process.stderr.write(`hint: ${error.hint}\n`);
  process.exitCode = exitCodeOf(error);
}

/**
 * Ends the program quietly when the reader of stdout goes away (`print-config | head -2`):
 * nobody is left to read the rest, and a stack trace about it helps no one.
 */
export function exitQuietlyOnClosedStdout(): void {
  if (process.stdout.listenerCount("error") > 0) return;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(process.exitCode ?? 0);
  });
}

/** Wraps a command action so that any failure ends as reportFailure describes. */
export function action<A extends unknown[]>(
  run: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    exitQuietlyOnClosedStdout();
    try {
      await run(...args);
    } catch (error) {
      reportFailure(error);
    }
  };
}
