// The pipeline of one backup, top to bottom: lock, clean up, snapshot, verify and compress (in
// parallel), read back, publish, then the after-success steps (prune, and whatever the caller
// adds, e.g. replication). Every outcome, including an unexpected throw, becomes one result.
import { unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describeError, GuardrailError } from "../shared/errors.js";
import { Field, type Logger } from "../shared/log.js";
import { nextBackupSlot } from "./backup-slot.js";
import { checkGzip, compressFile } from "./compress.js";
import type { BackupConfig } from "./config.js";
import { armedFailpoint } from "./failpoint.js";
import { removeLeftovers } from "./leftovers.js";
import { acquireLock, BackupBusyError } from "./lock.js";
import { databaseBaseName, TEMP_PREFIX, type Manifest } from "./manifest.js";
import { pruneBackups } from "./prune.js";
import { publishBackup } from "./publish.js";
import { recordRun } from "./record.js";
import { takeSnapshot } from "./snapshot.js";
import { explainStorageError } from "./storage-error.js";
import { verifySnapshot } from "./verify.js";
import { GUARDRAIL_VERSION } from "./version.js";

export type Outcome = "ok" | "failed" | "busy";

/** What one run did. `after` lists the after-success steps, in order, with their outcome. */
export interface BackupResult {
  outcome: Outcome;
  db: string;
  startedAt: Date;
  durationMs: number;
  /** The published backup's file name and path (outcome ok). */
  file?: string;
  path?: string;
  manifest?: Manifest;
  bytes?: { uncompressed: number; compressed: number };
  timings: Record<string, number>;
  /** The step that failed, its one-line reason and what to check (outcome failed or busy). */
  failedStep?: string;
  error?: string;
  hint?: string;
  after: { name: string; outcome: "ok" | "failed"; error?: string; details?: unknown }[];
}

/**
 * A step run after a successful backup, in order, after prune. A throw marks that step failed
 * in the result and the log; the backup itself stays a success and later steps still run.
 */
export interface AfterSuccessStep {
  name: string;
  run(result: BackupResult, context: StepContext): Promise<unknown>;
}

export interface StepContext {
  config: BackupConfig;
  logger: Logger;
  signal: AbortSignal;
}

export interface RunBackupOptions {
  config: BackupConfig;
  /** Step logs (stdout). */
  logger: Logger;
  /** Where the run's record line goes (stdout and backup.log); none when omitted. */
  recorder?: Logger;
  /** Aborts the run (shutdown); BACKUP_TIMEOUT is added to it here. */
  signal?: AbortSignal;
  afterSuccess?: AfterSuccessStep[];
  /** Skip retention (tests, `once --no-prune`). */
  prune?: boolean;
  onProgress?: (progress: Progress) => void;
}

export interface Progress {
  step: string;
  doneBytes?: number;
  totalBytes?: number;
}

class StepError extends GuardrailError {
  constructor(
    readonly step: string,
    cause: unknown,
  ) {
    super(`${step}: ${describeError(cause)}`, {
      cause,
      hint: cause instanceof GuardrailError ? cause.hint : undefined,
    });
  }
}

/** Runs one backup. Never throws: every failure is a result with outcome "failed" or "busy". */
export async function runBackup(options: RunBackupOptions): Promise<BackupResult> {
  const { config, logger } = options;
  const startedAt = new Date();
  const timings: Record<string, number> = {};
  const result: BackupResult = {
    outcome: "ok",
    db: config.db,
    startedAt,
    durationMs: 0,
    timings,
    after: [],
  };
  const signal = AbortSignal.any([
    ...(options.signal ? [options.signal] : []),
    AbortSignal.timeout(config.timeoutMs),
  ]);
  const base = databaseBaseName(config.db);
  const snapshotPath = join(config.dir, `${TEMP_PREFIX}${base}-${process.pid}.sqlite3`);
  const gzipPath = `${snapshotPath}.gz`;
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    options.onProgress?.({ step: name });
    try {
      signal.throwIfAborted();
      const value = await work();
      timings[`${name}Ms`] = Math.round(performance.now() - started);
      logger.debug(
        { [Field.step]: name, [Field.durationMs]: timings[`${name}Ms`] },
        "step finished",
      );
      return value;
    } catch (error) {
      const reason = signal.aborted ? abortReason(signal, config) : error;
      throw new StepError(name, explainStorageError(reason, config.dir));
    }
  };

  const armed = armedFailpoint();
  if (armed) {
    logger.warn(
      { failpoint: armed },
      "test-only GUARDRAIL_TEST_STOP_AT is set: this process will stop itself there; unset it",
    );
  }
  let lock;
  try {
    lock = await step("lock", () => acquireLock(config.dir));
    const removed = await step("cleanup", () => removeLeftovers(config.dir));
    if (removed.length > 0) logger.warn({ files: removed }, "leftovers of an earlier run removed");

    const snapshot = await step("snapshot", () => takeSnapshot(config.db, snapshotPath, signal));
    // Check and compression read the same snapshot at once; when one fails the other stops,
    // so nothing still writes once the temporary files are removed.
    const pair = new AbortController();
    const paired = AbortSignal.any([signal, pair.signal]);
    const [inspection, digests] = await allOrFirstFailure(pair, [
      step("verify", () => verifySnapshot(snapshotPath, config.check, paired)),
      step("compress", () =>
        compressFile(snapshotPath, gzipPath, config.gzipLevel, {
          signal: paired,
          onBytes: (doneBytes) =>
            options.onProgress?.({ step: "compress", doneBytes, totalBytes: snapshot.bytes }),
        }),
      ),
    ] as const);
    await step("readback", () => checkGzip(gzipPath, digests, signal));

    const manifest: Omit<Manifest, "file"> = {
      format: 1,
      database: { path: config.db, name: base },
      createdAt: startedAt.toISOString(),
      sqlite: {
        pageSize: inspection.pageSize,
        pageCount: inspection.pageCount,
        userVersion: inspection.userVersion,
        version: inspection.version,
        journalMode: snapshot.journalMode,
      },
      tables: inspection.tables,
      check: { kind: config.check, result: inspection.check },
      uncompressed: digests.uncompressed,
      compressed: digests.compressed,
      gzipLevel: config.gzipLevel,
      timings,
      host: hostname(),
      guardrailVersion: GUARDRAIL_VERSION,
    };
    const published = await step("publish", async () => {
      const slot = await nextBackupSlot(config.dir, base, startedAt);
      if (slot.clockBehind) {
        logger.warn(
          { newest: slot.clockBehind, clock: startedAt.toISOString() },
          "clock is behind the newest backup: named after it",
        );
      }
      return publishBackup(config.dir, gzipPath, base, slot, manifest);
    });
    Object.assign(result, published, { manifest: { ...manifest, file: published.file } });
    result.bytes = {
      uncompressed: digests.uncompressed.bytes,
      compressed: digests.compressed.bytes,
    };
  } catch (error) {
    result.outcome =
      error instanceof StepError && error.cause instanceof BackupBusyError ? "busy" : "failed";
    result.failedStep = error instanceof StepError ? error.step : "run";
    result.error = describeError(error instanceof StepError ? error.cause : error);
    result.hint = error instanceof GuardrailError ? error.hint : undefined;
  } finally {
    await Promise.all([snapshotPath, gzipPath].map((path) => unlink(path).catch(() => {})));
  }

  try {
    if (result.outcome === "ok") await runAfterSteps(options, result, signal);
  } finally {
    await lock?.release();
    result.durationMs = Date.now() - startedAt.getTime();
    if (options.recorder) recordRun(options.recorder, result);
  }
  return result;
}

/** Like Promise.all, but on the first failure aborts `pair` and waits for the others to end. */
async function allOrFirstFailure<T extends readonly unknown[]>(
  pair: AbortController,
  promises: { [K in keyof T]: Promise<T[K]> },
): Promise<T> {
  let first: { error: unknown } | undefined;
  const watched = promises.map((promise) =>
    promise.catch((error: unknown) => {
      first ??= { error };
      pair.abort(error);
      throw error;
    }),
  );
  const settled = await Promise.allSettled(watched);
  if (first) throw first.error;
  return settled.map(
    (outcome) => (outcome as PromiseFulfilledResult<unknown>).value,
  ) as unknown as T;
}

async function runAfterSteps(options: RunBackupOptions, result: BackupResult, signal: AbortSignal) {
  const { config, logger } = options;
  const steps: AfterSuccessStep[] = [
    ...(options.prune === false ? [] : [pruneStep]),
    ...(options.afterSuccess ?? []),
  ];
  for (const after of steps) {
    try {
      const details = await after.run(result, {
        config,
        logger: logger.child({ [Field.step]: after.name }),
        signal,
      });
      result.after.push({ name: after.name, outcome: "ok", details });
    } catch (error) {
      logger.warn({ [Field.step]: after.name, [Field.err]: error }, "after-success step failed");
      result.after.push({ name: after.name, outcome: "failed", error: describeError(error) });
    }
  }
}

/** Retention, as the first after-success step: only ever after a verified, published backup. */
export const pruneStep: AfterSuccessStep = {
  name: "prune",
  run: async (_result, { config, logger }) => {
    const pruned = await pruneBackups({ ...config, logger });
    return { deleted: pruned.deleted };
  },
};

function abortReason(signal: AbortSignal, config: BackupConfig): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof DOMException && reason.name === "TimeoutError") {
    return new GuardrailError(
      `the backup took longer than BACKUP_TIMEOUT (${config.timeoutMs} ms)`,
      {
        hint: "raise BACKUP_TIMEOUT, or check whether the disk or the database is unusually slow",
      },
    );
  }
  return reason instanceof Error ? reason : new GuardrailError("the backup was aborted");
}
