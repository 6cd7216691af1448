// Step 5: one JSON line per run, in BACKUP_DIR/backup.log and on stdout.
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { createLogger, fileDestination, Field, type Logger } from "../shared/log.js";
import type { BackupResult } from "./run-backup.js";

export const LOG_FILE = "backup.log";

/** A logger writing each line both to stdout and to the folder's backup.log. */
export function createRunRecorder(dir: string): Logger {
  // Created 0600 before pino opens it: the log names files and databases.
  closeSync(openSync(join(dir, LOG_FILE), "a", 0o600));
  const streams = pino.multistream([
    { stream: pino.destination({ dest: 1, sync: true }) },
    { stream: fileDestination(join(dir, LOG_FILE)) },
  ]);
  return createLogger({ level: "info", base: { [Field.component]: "backup" } }, streams);
}

/** Writes the line that records one run: outcome, sizes, durations, and what went wrong. */
export function recordRun(recorder: Logger, result: BackupResult): void {
  const fields = {
    [Field.outcome]: result.outcome,
    [Field.db]: result.db,
    [Field.file]: result.file,
    [Field.bytes]: result.bytes?.compressed,
    uncompressedBytes: result.bytes?.uncompressed,
    [Field.durationMs]: result.durationMs,
    timings: result.timings,
    [Field.step]: result.failedStep,
    error: result.error,
    hint: result.hint,
    after: result.after.length > 0 ? result.after : undefined,
  };
  if (result.outcome === "ok") recorder.info(fields, "backup run finished");
  else if (result.outcome === "busy") recorder.warn(fields, "backup run skipped");
  else recorder.error(fields, "backup run failed");
}
