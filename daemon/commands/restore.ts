// `guardrail-backup restore`: put a verified backup in place of a stopped app's database.
import { Command } from "commander";
import { UsageError } from "../../shared/errors.js";
import { createLogger, Field } from "../../shared/log.js";
import { configuredBackupDir } from "../backup-path.js";
import { restoreBackup } from "../restore.js";
import { action } from "./cli.js";

export function restoreCommand(): Command {
  return new Command("restore")
    .description(
      "restore a backup over a database, keeping the old one (and its -wal/-shm) beside it",
    )
    .argument("[backup]", "a backup file, or the name of one in BACKUP_DIR")
    .requiredOption(
      "--to <database>",
      "the database file to restore into (the app must be stopped)",
    )
    .option("--latest", "restore the newest verified backup in BACKUP_DIR")
    .option("--force", "restore even while another process has the database open")
    .action(
      action(
        async (
          backup: string | undefined,
          options: { to: string; latest?: boolean; force?: boolean },
        ) => {
          if (!backup === !options.latest) {
            throw new UsageError("name one backup to restore, or pass --latest (not both)");
          }
          // BACKUP_DIR as the daemon uses it; restore works without the rest of the configuration.
          const backupDir = configuredBackupDir(process.env, options.to)!;
          const logger = createLogger({ level: "warn", base: { [Field.component]: "restore" } });
          const report = await restoreBackup(
            {
              backup,
              latest: options.latest ?? false,
              to: options.to,
              force: options.force ?? false,
              backupDir,
            },
            logger,
          );
          const lines = [
            `restored ${report.backup}`,
            `    into ${report.database} (${report.bytes} bytes, ${report.durationMs} ms; integrity_check ok)`,
            `journal_mode ${report.journalMode} (${report.journalModeReason})`,
            `in-use check: ${report.inUseCheck}`,
            ...report.movedAside.map(({ from, to }) => `moved aside ${from} -> ${to}`),
            report.movedAside.length === 0 ? "there was no database to move aside" : "",
            "to undo, with the app stopped:",
            ...report.undo.map((command) => `  ${command}`),
          ];
          process.stdout.write(lines.filter((line) => line !== "").join("\n") + "\n");
        },
      ),
    );
}
