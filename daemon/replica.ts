// Replication, after each good local backup: every target gets the verified backups the
// retention rule keeps (missing ones included, so a target that was down catches up on the next
// run), each copied under a temporary name, checked by sha256 where it landed, then renamed; then
// the same retention rule runs on the target. A failing target is reported, never thrown.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { describeError, GuardrailError } from "../shared/errors.js";
import { Field, type Logger } from "../shared/log.js";
import { listBackups, type BackupEntry } from "./catalog.js";
import { databaseBaseName, manifestNameFor, parseBackupName, TEMP_PREFIX } from "./manifest.js";
import { planRetention, type RetentionRule } from "./retention.js";
import type { ReplicaTarget } from "./replica-target.js";

export interface ReplicateOptions {
  targets: readonly ReplicaTarget[];
  /** The local backup folder and database (only this database's backups are touched). */
  dir: string;
  db: string;
  keep: RetentionRule;
  timeZone: string;
  logger: Logger;
  /**
   * Stops before the next copy when aborted (shutdown). A transfer under way finishes or hits
   * BACKUP_REPLICA_TIMEOUT; what it left under a temporary name is removed on the next run.
   */
  signal?: AbortSignal;
}

/** What happened on one target in one run. */
export interface ReplicaOutcome {
  target: string;
  ok: boolean;
  at: Date;
  /** Backup files copied (each with its manifest). */
  copied: string[];
  /** Files deleted by retention on the target. */
  removed: string[];
  error?: string;
}

/** Syncs every target in turn; resolves to one outcome per target, in order. Never throws. */
export async function replicate(options: ReplicateOptions): Promise<ReplicaOutcome[]> {
  const base = databaseBaseName(options.db);
  const local = await listBackups(options.dir, base);
  const decisions = planRetention(
    local.map((entry) => ({ file: entry.file, time: entry.name.time, verified: entry.verified })),
    options.keep,
    options.timeZone,
  );
  const kept = new Set(decisions.filter((d) => d.keep).map((d) => d.file));
  const wanted = local.filter((entry) => entry.verified && kept.has(entry.file));

  const outcomes: ReplicaOutcome[] = [];
  for (const target of options.targets) {
    const log = options.logger.child({ [Field.target]: target.label });
    const outcome: ReplicaOutcome = {
      target: target.label,
      ok: true,
      at: new Date(),
      copied: [],
      removed: [],
    };
    try {
      await syncTarget(target, base, wanted, options, outcome, log);
      log.info(
        { copied: outcome.copied.length, removed: outcome.removed.length },
        "replica synced",
      );
    } catch (error) {
      outcome.ok = false;
      outcome.error = describeError(error);
      log.warn({ [Field.err]: error, copied: outcome.copied.length }, "replica failed");
    }
    outcomes.push(outcome);
  }
  return outcomes;
}

async function syncTarget(
  target: ReplicaTarget,
  base: string,
  wanted: BackupEntry[],
  options: ReplicateOptions,
  outcome: ReplicaOutcome,
  log: Logger,
): Promise<void> {
  const names = await target.list();
  const leftovers = names.filter((name) => name.startsWith(`${TEMP_PREFIX}${base}-`));
  if (leftovers.length > 0) await target.remove(leftovers);
  const present = new Set(names);

  // Newest first: when a target fails halfway, it has the backups that matter most.
  for (const entry of wanted) {
    const manifestFile = manifestNameFor(entry.file);
    if (present.has(entry.file) && present.has(manifestFile)) continue;
    options.signal?.throwIfAborted();
    await copyOne(target, entry, manifestFile);
    present.add(entry.file).add(manifestFile);
    outcome.copied.push(entry.file);
    log.info({ [Field.file]: entry.file, [Field.bytes]: entry.bytes }, "replica copy verified");
  }

  const theirs = [...present].flatMap((file) => {
    const name = parseBackupName(file);
    if (!name || name.database !== base) return [];
    return [{ file, time: name.time, verified: present.has(manifestNameFor(file)) }];
  });
  const doomed = planRetention(theirs, options.keep, options.timeZone)
    .filter((decision) => !decision.keep)
    .flatMap((decision) => [decision.file, manifestNameFor(decision.file)])
    .filter((file) => present.has(file));
  if (doomed.length > 0) {
    await target.remove(doomed);
    outcome.removed.push(...doomed);
  }
}

/** Uploads a backup and its manifest under temporary names, checks both sums, renames them. */
async function copyOne(target: ReplicaTarget, entry: BackupEntry, manifestFile: string) {
  const tempBackup = `${TEMP_PREFIX}${entry.file}`;
  const tempManifest = `${TEMP_PREFIX}${manifestFile}`;
  const manifestBytes = await readFile(entry.manifestPath);
  const expected = {
    [tempBackup]: entry.manifest!.compressed.sha256,
    [tempManifest]: createHash("sha256").update(manifestBytes).digest("hex"),
  };

  await target.upload(entry.path, tempBackup);
  await target.upload(entry.manifestPath, tempManifest);
  const sums = await target.sha256([tempBackup, tempManifest]);
  for (const [name, sum] of Object.entries(expected)) {
    if (sums[name] !== sum) {
      await target.remove([tempBackup, tempManifest]).catch(() => {});
      throw new GuardrailError(
        `the copy of ${name.slice(TEMP_PREFIX.length)} on ${target.label} has the wrong sha256`,
        {
          hint: "the transfer or the far disk damaged it; it will be copied again on the next run",
        },
      );
    }
  }
  // The backup first: a backup without its manifest counts as unverified and is copied again.
  await target.rename([
    [tempBackup, entry.file],
    [tempManifest, manifestFile],
  ]);
}
