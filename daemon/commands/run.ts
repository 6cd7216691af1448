// `guardrail-backup run`: the long-running daemon (schedule, catch-up, /health, /metrics).
import { Command } from "commander";
import { loadConfig } from "../config.js";
import { startDaemon, type DaemonOptions } from "../daemon.js";
import { resilienceExtension } from "../resilience.js";
import { action } from "./cli.js";

/** Extra daemon wiring (after-success steps such as replication) registered before parsing. */
export const daemonExtensions: Partial<Pick<DaemonOptions, "afterSuccess">> = {};

export function runCommand(): Command {
  return new Command("run")
    .description("run as a daemon: back up on BACKUP_SCHEDULE, serve /health and /metrics")
    .action(
      action(async () => {
        const config = loadConfig();
        const daemon = await startDaemon({
          config,
          ...daemonExtensions,
          extensions: [resilienceExtension(config)],
        });
        await daemon.stopped;
        // An aborted snapshot's worker thread may still be inside SQLite: do not wait for it.
        process.exit(process.exitCode ?? 0);
      }),
    );
}
