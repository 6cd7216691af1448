// `guardrail-backup print-config`: the configuration as this program reads it, secrets masked.
import { Command } from "commander";
import { loadConfig, maskValue } from "../config.js";
import { resilienceEffective } from "../config-resilience.js";
import { formatDurationSetting } from "../duration.js";
import { action } from "./cli.js";

export function printConfigCommand(): Command {
  return new Command("print-config")
    .description("print the effective configuration (secrets masked) and exit")
    .action(
      action(() => {
        // Show the configuration even when the files are missing: that is when it is needed.
        const config = loadConfig(process.env, { checkFiles: false });
        const effective: Record<string, string | number> = {
          BACKUP_DB: config.db,
          BACKUP_DIR: config.dir,
          BACKUP_SCHEDULE: config.schedule,
          TZ: config.timeZone,
          BACKUP_KEEP_DAILY: config.keep.daily,
          BACKUP_KEEP_WEEKLY: config.keep.weekly,
          BACKUP_KEEP_MONTHLY: config.keep.monthly,
          BACKUP_GZIP_LEVEL: config.gzipLevel,
          BACKUP_CHECK: config.check,
          BACKUP_MAX_AGE: formatDurationSetting(config.maxAgeMs),
          BACKUP_PORT: config.port,
          BACKUP_TIMEOUT: formatDurationSetting(config.timeoutMs),
          BACKUP_GRACE: formatDurationSetting(config.graceMs),
          ...resilienceEffective(config.resilience),
        };
        // Variables read by other modules (replication, alerts) are shown as set, masked.
        for (const [name, value] of Object.entries(config.env)) {
          if (!(name in effective) && value !== undefined) effective[name] = value;
        }
        for (const [name, value] of Object.entries(effective)) {
          process.stdout.write(`${name}=${maskValue(name, String(value))}\n`);
        }
      }),
    );
}
