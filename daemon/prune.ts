// Step 6: retention. Deletes only backups this program named for this database, only what the
// rule in retention.ts gives up, and never the newest verified backup.
import { unlink } from "node:fs/promises";
import type { Logger } from "../shared/log.js";
import { Field } from "../shared/log.js";
import { InternalError } from "../shared/errors.js";
import { listBackups } from "./catalog.js";
import { databaseBaseName } from "./manifest.js";
import { planRetention, type RetentionDecision, type RetentionRule } from "./retention.js";

export interface PruneOptions {
  dir: string;
  db: string;
  keep: RetentionRule;
  timeZone: string;
  /** Decide and report, delete nothing. */
  dryRun?: boolean;
  logger?: Logger;
}

export interface PruneResult {
  dryRun: boolean;
  decisions: RetentionDecision[];
  /** Files deleted (or, in a dry run, that would be): backups, each followed by its manifest. */
  deleted: string[];
}

/**
 * Applies the retention rule to the backups of `db` in `dir`. Other files in the folder, and
 * backups of other databases, are never looked at. Idempotent. Throws when the folder cannot
 * be read or a file cannot be deleted; files deleted before that stay deleted.
 */
export async function pruneBackups(options: PruneOptions): Promise<PruneResult> {
  const entries = await listBackups(options.dir, databaseBaseName(options.db));
  const byFile = new Map(entries.map((entry) => [entry.file, entry]));
  const decisions = planRetention(
    entries.map((entry) => ({
      file: entry.file,
      // The name holds the minute; the sequence orders backups taken within one minute.
      time: new Date(entry.name.time.getTime() + entry.name.sequence),
      verified: entry.verified,
    })),
    options.keep,
    options.timeZone,
  );

  // Belt and braces: the rule must keep at least one verified backup when there is one.
  const newest = entries.find((entry) => entry.verified);
  if (newest && !decisions.some((decision) => decision.file === newest.file && decision.keep)) {
    throw new InternalError(`retention would delete the newest verified backup ${newest.file}`);
  }

  const deleted: string[] = [];
  for (const decision of decisions) {
    if (decision.keep) continue;
    const entry = byFile.get(decision.file);
    if (!entry) throw new InternalError(`retention decided on an unknown file ${decision.file}`);
    options.logger?.info(
      { [Field.file]: entry.file, reasons: decision.reasons, dryRun: options.dryRun === true },
      options.dryRun ? "backup would be pruned" : "backup pruned",
    );
    if (!options.dryRun) {
      // Backup first: a crash in between leaves a lone manifest, which the next run removes.
      await unlink(entry.path);
      await unlink(entry.manifestPath).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
    }
    deleted.push(entry.file);
  }
  return { dryRun: options.dryRun === true, decisions, deleted };
}
