// `guardrail-backup prune [--dry-run]`: apply the retention rule now.
import { Command } from "commander";
import { createLogger, Field } from "../../shared/log.js";
import { loadConfig } from "../config.js";
import { acquireLock } from "../lock.js";
import { pruneBackups } from "../prune.js";
import { action } from "./cli.js";

export function pruneCommand(): Command {
  return new Command("prune")
    .description("delete the backups the retention rule no longer keeps")
    .option("--dry-run", "say what would be deleted and why, delete nothing")
    .action(
      action(async (options: { dryRun?: boolean }) => {
        const config = loadConfig();
        const logger = createLogger({ base: { [Field.component]: "prune" } });
        // A dry run changes nothing, so it needs no lock; a real prune must not race a backup.
        const lock = options.dryRun ? undefined : await acquireLock(config.dir);
        try {
          const result = await pruneBackups({
            ...config,
            dryRun: options.dryRun,
            logger: undefined,
          });
          for (const decision of result.decisions) {
            const verb = decision.keep ? "keep" : options.dryRun ? "would delete" : "deleted";
            process.stdout.write(
              `${verb.padEnd(12)} ${decision.file}  (${decision.reasons.join("; ")})\n`,
            );
          }
          // A dry run deleted nothing: say what it would have deleted under another name.
          const count = options.dryRun
            ? { wouldDelete: result.deleted.length }
            : { deleted: result.deleted.length };
          logger.info({ ...count, dryRun: result.dryRun }, "prune finished");
        } finally {
          await lock?.release();
        }
      }),
    );
}
