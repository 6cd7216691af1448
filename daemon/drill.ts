// A restore drill: prove that the newest verified backup restores, by restoring it into a
// temporary folder, checking it fully, comparing it with its manifest, and letting the user's own
// command (BACKUP_DRILL_COMMAND) try the app on it. A drill never touches the live database.
import { join } from "node:path";
import { dir as tmpDir } from "tmp-promise";
import { describeError, GuardrailError } from "../shared/errors.js";
import { Field, type Logger } from "../shared/log.js";
import { runCommand } from "../shared/process.js";
import { latestVerified } from "./catalog.js";
import { compareTables, inspectDatabase } from "./inspect-db.js";
import { readJournalMode, setJournalMode } from "./journal-mode.js";
import { databaseBaseName } from "./manifest.js";
import { readManifestFor, unpackBackup } from "./unpack.js";

export interface DrillOptions {
  dir: string;
  db: string;
  /** BACKUP_DRILL_COMMAND: a shell command run with DRILL_DB set; none when undefined. */
  command: string | undefined;
  commandTimeoutMs: number;
  /** The command's environment, before DRILL_* are added (secrets already left out). */
  env: Record<string, string>;
  logger: Logger;
  signal?: AbortSignal;
}

export interface DrillResult {
  ok: boolean;
  at: Date;
  /** The backup drilled (file name), when there was one. */
  backup?: string;
  /** How long decompressing and verifying the restored copy took. */
  restoreMs?: number;
  durationMs: number;
  /** Exit code of BACKUP_DRILL_COMMAND, when it ran. */
  commandExitCode?: number | null;
  /** True when the backup restored and checked fine but BACKUP_DRILL_COMMAND failed. */
  commandFailed?: boolean;
  error?: string;
}

/** Runs one drill. Never throws: every failure is a result with `ok: false` and an error. */
export async function runDrill(options: DrillOptions): Promise<DrillResult> {
  const at = new Date();
  const started = performance.now();
  const result: DrillResult = { ok: false, at, durationMs: 0 };
  const log = options.logger;
  const scratch = await tmpDir({ prefix: "guardrail-drill-", mode: 0o700, unsafeCleanup: true });
  try {
    const entry = await latestVerified(options.dir, databaseBaseName(options.db));
    if (!entry) {
      throw new GuardrailError(`no verified backup of ${options.db} in ${options.dir} to drill`);
    }
    result.backup = entry.file;

    const restored = join(scratch.path, options.db.split("/").pop() ?? "restored.db");
    const manifest = await readManifestFor(entry.path);
    await unpackBackup(entry.path, manifest, restored);
    const facts = inspectDatabase(restored, { full: true, foreignKeys: true });
    result.restoreMs = Math.round(performance.now() - started);

    const problems: string[] = [];
    if (facts.check !== "ok") problems.push(`integrity_check: ${facts.check}`);
    if (facts.foreignKeyViolations > 0) {
      problems.push(`foreign_key_check: ${facts.foreignKeyViolations} violations`);
    }
    if (facts.userVersion !== manifest.sqlite.userVersion) {
      problems.push(`user_version is ${facts.userVersion}, not ${manifest.sqlite.userVersion}`);
    }
    problems.push(...compareTables(facts.tables, manifest.tables));
    if (problems.length > 0) throw new GuardrailError(`${entry.file}: ${problems.join("; ")}`);

    if (options.command) {
      // The app under test should see what production has: WAL, most likely (journal-mode.ts).
      const live = await readJournalMode(options.db).catch(() => undefined);
      const mode = live ?? manifest.sqlite.journalMode ?? "wal";
      if (mode === "wal") setJournalMode(restored, "wal");
      await runDrillCommand(options, restored, entry.file, result);
    }
    result.ok = true;
  } catch (error) {
    result.error = describeError(error);
  } finally {
    await scratch.cleanup();
    result.durationMs = Math.round(performance.now() - started);
  }

  const fields = {
    [Field.outcome]: result.ok ? "ok" : "failed",
    // Identifies the drill when the daemon reads it back from backup.log (drill-record.ts).
    startedAt: result.at.toISOString(),
    [Field.file]: result.backup,
    restoreMs: result.restoreMs,
    [Field.durationMs]: result.durationMs,
    commandExitCode: result.commandExitCode,
    error: result.error,
  };
  if (result.ok) log.info(fields, "drill finished");
  else log.error(fields, "drill failed");
  return result;
}

/** Runs BACKUP_DRILL_COMMAND against the restored copy; throws unless it exits 0. */
async function runDrillCommand(
  options: DrillOptions,
  restored: string,
  backup: string,
  result: DrillResult,
): Promise<void> {
  const tail: string[] = [];
  const run = await runCommand({
    command: options.command!,
    cwd: join(restored, ".."),
    env: { ...options.env, DRILL_DB: restored, DRILL_BACKUP: backup },
    timeoutMs: options.commandTimeoutMs,
    signal: options.signal,
    onLine: (line) => {
      options.logger.info({ line }, "drill command output");
      tail.push(line);
      if (tail.length > 5) tail.shift();
    },
  });
  result.commandExitCode = run.exitCode;
  result.commandFailed = run.timedOut || run.exitCode !== 0;
  if (run.timedOut) {
    throw new GuardrailError(
      `BACKUP_DRILL_COMMAND did not finish within ${options.commandTimeoutMs} ms`,
    );
  }
  if (run.exitCode !== 0) {
    const why = run.exitCode === null ? `was killed by ${run.signal}` : `exited ${run.exitCode}`;
    throw new GuardrailError(`BACKUP_DRILL_COMMAND ${why}: ${tail.join(" / ")}`);
  }
}
