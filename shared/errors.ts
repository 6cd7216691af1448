// One small error vocabulary for both programs. Messages are written for the person who reads
// them; `cause` keeps the underlying error and the message adds context instead of replacing it.

export interface GuardrailErrorOptions {
  cause?: unknown;
  /** What the reader should do about it, printed after the message. */
  hint?: string;
  /** The process exit code when this error ends the program. */
  exitCode?: number;
}

/** An expected failure whose message is already fit to show; exits with `exitCode` (1). */
export class GuardrailError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(message: string, options: GuardrailErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Bad configuration: every problem found, each naming the variable or git config key. */
export class ConfigError extends GuardrailError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[], hint?: string) {
    const list = problems.map((problem) => `  - ${problem}`).join("\n");
    super(`invalid configuration:\n${list}`, { exitCode: 2, hint });
    this.problems = problems;
  }
}

/** Bad command-line usage; exits 2 like the configuration errors. */
export class UsageError extends GuardrailError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: 2, hint });
  }
}

/** A failure that is a bug in Guardrail itself, not in the input. */
export class InternalError extends GuardrailError {
  constructor(message: string, cause?: unknown) {
    super(`internal error: ${message}`, {
      cause,
      hint: "this is a bug in Guardrail; please report it with the log line above",
    });
  }
}

/** The message of any thrown value, followed by the messages of its causes. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    const message = current instanceof Error ? current.message : String(current);
    if (message && !parts.some((part) => part.includes(message))) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(": ") || "unknown error";
}

/** Reports a main failure together with a failure of the cleanup that followed it. */
export function withCleanupError(main: unknown, cleanup: unknown): Error {
  const error = new AggregateError(
    [main, cleanup],
    `${describeError(main)} (and cleanup failed too: ${describeError(cleanup)})`,
  );
  return error;
}

/** The exit code a thrown value should end the program with. */
export function exitCodeOf(error: unknown): number {
  return error instanceof GuardrailError ? error.exitCode : 1;
}
