// /metrics: Prometheus text with prom-client, every name prefixed and suffixed with its unit.
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { BackupResult } from "./run-backup.js";

export interface BackupMetrics {
  registry: Registry;
  observe(result: BackupResult): void;
}

/**
 * A registry of the sidecar's metrics. `kept` and `lastGood` are read at scrape time, so the
 * numbers match the folder even when another process (a manual prune) changed it.
 */
export function createMetrics(read: {
  kept: () => Promise<number>;
  lastGood: () => Promise<Date | undefined>;
}): BackupMetrics {
  const registry = new Registry();
  const prefix = "guardrail_backup_";
  collectDefaultMetrics({ register: registry, prefix });

  new Gauge({
    name: `${prefix}last_success_timestamp_seconds`,
    help: "When the newest verified backup was taken (Unix time); 0 when there is none.",
    registers: [registry],
    async collect() {
      const time = await read.lastGood();
      this.set(time ? time.getTime() / 1000 : 0);
    },
  });
  new Gauge({
    name: `${prefix}kept_backups`,
    help: "Backups of the database in the backup folder.",
    registers: [registry],
    async collect() {
      this.set(await read.kept());
    },
  });
  const duration = new Gauge({
    name: `${prefix}last_duration_seconds`,
    help: "How long the last backup run took.",
    registers: [registry],
  });
  const size = new Gauge({
    name: `${prefix}last_size_bytes`,
    help: "Size of the last published backup, compressed.",
    registers: [registry],
  });
  const runs = new Counter({
    name: `${prefix}runs_total`,
    help: "Backup runs by outcome (ok, failed, busy).",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const failures = new Counter({
    name: `${prefix}failures_total`,
    help: "Backup runs that failed.",
    registers: [registry],
  });
  failures.inc(0);

  return {
    registry,
    observe(result) {
      runs.inc({ outcome: result.outcome });
      duration.set(result.durationMs / 1000);
      if (result.outcome === "failed") failures.inc();
      if (result.bytes) size.set(result.bytes.compressed);
    },
  };
}
