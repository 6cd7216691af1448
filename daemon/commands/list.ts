// `guardrail-backup list [--json]`: the backups in BACKUP_DIR, newest first.
import { Command } from "commander";
import { listBackups } from "../catalog.js";
import { loadConfig } from "../config.js";
import { databaseBaseName } from "../manifest.js";
import { action } from "./cli.js";

export function listCommand(): Command {
  return new Command("list")
    .description("list the backups of BACKUP_DB in BACKUP_DIR, newest first")
    .option("--json", "one JSON array, for scripts")
    .action(
      action(async (options: { json?: boolean }) => {
        const config = loadConfig();
        const entries = await listBackups(config.dir, databaseBaseName(config.db));
        if (options.json) {
          const rows = entries.map((entry) => ({
            file: entry.file,
            path: entry.path,
            time: entry.name.time.toISOString(),
            bytes: entry.bytes,
            verified: entry.verified,
            problem: entry.problem,
            createdAt: entry.manifest?.createdAt,
          }));
          process.stdout.write(JSON.stringify(rows, null, 2) + "\n");
          return;
        }
        if (entries.length === 0) {
          process.stdout.write(`no backups in ${config.dir}\n`);
          return;
        }
        for (const entry of entries) {
          const state = entry.verified ? "verified" : `NOT VERIFIED (${entry.problem})`;
          const size = `${(entry.bytes / 1e6).toFixed(1)} MB`.padStart(10);
          process.stdout.write(`${entry.file}  ${size}  ${state}\n`);
        }
      }),
    );
}
