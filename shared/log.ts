// Structured logging with a fixed vocabulary: the message is a constant lowercase phrase,
// details go in fields, and every field name is defined here once.
import pino, { type DestinationStream, type Logger } from "pino";

export type { Logger };

/** Field names used in log lines, so every component spells them the same way. */
export const Field = {
  component: "component",
  db: "db",
  file: "file",
  dir: "dir",
  bytes: "bytes",
  durationMs: "durationMs",
  ref: "ref",
  refs: "refs",
  sha: "sha",
  pusher: "pusher",
  verdict: "verdict",
  bypass: "bypass",
  outcome: "outcome",
  step: "step",
  target: "target",
  err: "err",
} as const;

export interface LoggerOptions {
  /** Minimum level; defaults to LOG_LEVEL or "info". */
  level?: string;
  /** Extra fields bound to every line. */
  base?: Record<string, unknown>;
}

/** A pino logger writing one JSON object per line to `destination` (stdout by default). */
export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      base: options.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A synchronous, append-only file destination: each line is on disk when the call returns. */
export function fileDestination(path: string): DestinationStream {
  return pino.destination({ dest: path, sync: true, append: true, mkdir: true });
}
