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
        const rows = entries.map((entry) => ({
          file: entry.file,
          size: humanBytes(entry.bytes),
          state: entry.verified ? "verified" : `NOT VERIFIED (${entry.problem})`,
        }));
        const fileWidth = Math.max(...rows.map((row) => row.file.length));
        const sizeWidth = Math.max(...rows.map((row) => row.size.length));
        for (const row of rows) {
          const line = `${row.file.padEnd(fileWidth)}  ${row.size.padStart(sizeWidth)}  ${row.state}`;
          process.stdout.write(`${line}\n`);
        }
      }),
    );
}

/** `512 B`, `3.4 KiB`, `12.0 MiB`, `1.2 GiB`. */
export function humanBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
