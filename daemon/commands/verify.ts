// `guardrail-backup verify <file>`: check one backup end to end.
import { Command } from "commander";
import { configuredBackupDir, resolveBackupPath } from "../backup-path.js";
import { verifyBackupFile } from "../verify-backup.js";
import { action } from "./cli.js";

export function verifyCommand(): Command {
  return new Command("verify")
    .description("check a backup: manifest, sha256 sums, SQLite check, row counts")
    .argument("<file>", "a backup file, or the name of one in BACKUP_DIR")
    .option("--full", "run integrity_check instead of quick_check")
    .action(
      action(async (file: string, options: { full?: boolean }) => {
        const path = resolveBackupPath(file, configuredBackupDir(process.env));
        const result = await verifyBackupFile(path, options.full ? "full" : "quick");
        const rows = Object.values(result.tables).reduce((sum, count) => sum + count, 0);
        process.stdout.write(
          `${result.file}: ok (${options.full ? "integrity_check" : "quick_check"}, ${Object.keys(result.tables).length} tables, ${rows} rows)\n`,
        );
      }),
    );
}
