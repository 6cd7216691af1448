// What replicas and drills last did, for /health and /metrics. Replica failures make the daemon
// degraded (the local backups are fine, /health stays 200 and names the target); a failed drill
// makes it unhealthy (503), because the backups may not restore.
import { Counter, Gauge, type Registry } from "prom-client";
import type { DrillResult } from "./drill.js";
import type { Redact } from "./redact.js";
import type { ReplicaOutcome } from "./replica.js";

interface ReplicaState {
  ok: boolean;
  at: Date;
  lastSuccess: Date | undefined;
  error: string | undefined;
}

/** The parts of /health this module adds. */
export interface ResilienceHealth {
  /** Reasons for 503. */
  problems: string[];
  /** Reasons for "degraded" while still 200. */
  degraded: string[];
  replicas: {
    target: string;
    ok: boolean;
    at: string;
    lastSuccess: string | null;
    error?: string;
  }[];
  drill: {
    ok: boolean;
    at: string;
    backup?: string;
    restoreSeconds?: number;
    error?: string;
  } | null;
}

export class ResilienceStatus {
  private readonly replicas = new Map<string, ReplicaState>();
  private drill: DrillResult | undefined;
  private readonly metrics;
  private readonly publicName: (label: string) => string;
  private readonly redact: Redact;

  /**
   * `publicName` gives the name a target has in /health and /metrics (labels may hold SSH
   * details); `redact` removes configured secrets from error texts shown there.
   */
  constructor(
    registry: Registry,
    labels: readonly string[] = [],
    options: { publicName?: (label: string) => string; redact?: Redact } = {},
  ) {
    this.publicName = options.publicName ?? ((label) => label);
    this.redact = options.redact ?? ((text) => text);
    const prefix = "guardrail_backup_";
    const registers = [registry];
    this.metrics = {
      replicaUp: new Gauge({
        name: `${prefix}replica_up`,
        help: "1 when the last copy to the target succeeded, 0 when it failed.",
        labelNames: ["target"],
        registers,
      }),
      replicaSuccess: new Gauge({
        name: `${prefix}replica_last_success_timestamp_seconds`,
        help: "When the target last took a copy successfully (Unix time); 0 for never.",
        labelNames: ["target"],
        registers,
      }),
      replicaFailures: new Counter({
        name: `${prefix}replica_failures_total`,
        help: "Replication runs that failed, by target.",
        labelNames: ["target"],
        registers,
      }),
      replicaCopies: new Counter({
        name: `${prefix}replica_copies_total`,
        help: "Backups copied and verified on the target.",
        labelNames: ["target"],
        registers,
      }),
      drillOk: new Gauge({
        name: `${prefix}drill_last_ok`,
        help: "1 when the last restore drill passed, 0 when it failed.",
        registers,
      }),
      drillSuccess: new Gauge({
        name: `${prefix}drill_last_success_timestamp_seconds`,
        help: "When a restore drill last passed (Unix time); 0 for never.",
        registers,
      }),
      drillRestore: new Gauge({
        name: `${prefix}drill_restore_seconds`,
        help: "How long the last drill took to restore and check the backup.",
        registers,
      }),
      drillFailures: new Counter({
        name: `${prefix}drill_failures_total`,
        help: "Restore drills that failed.",
        registers,
      }),
    };
    this.metrics.drillFailures.inc(0);
    this.metrics.drillSuccess.set(0);
    for (const target of labels.map(this.publicName)) {
      this.metrics.replicaFailures.inc({ target }, 0);
      this.metrics.replicaCopies.inc({ target }, 0);
      this.metrics.replicaSuccess.set({ target }, 0);
    }
  }

  recordReplicas(outcomes: readonly ReplicaOutcome[]): void {
    for (const outcome of outcomes) {
      const target = this.publicName(outcome.target);
      const before = this.replicas.get(target);
      const lastSuccess = outcome.ok ? outcome.at : before?.lastSuccess;
      this.replicas.set(target, {
        ok: outcome.ok,
        at: outcome.at,
        lastSuccess,
        error: outcome.error === undefined ? undefined : this.redact(outcome.error),
      });
      this.metrics.replicaUp.set({ target }, outcome.ok ? 1 : 0);
      this.metrics.replicaCopies.inc({ target }, outcome.copied.length);
      if (outcome.ok) this.metrics.replicaSuccess.set({ target }, outcome.at.getTime() / 1000);
      else this.metrics.replicaFailures.inc({ target });
    }
  }

  /**
   * Records a drill, from this process or read back from backup.log (drill-record.ts). The
   * same drill arrives both ways for the daemon's own drills (with the same start time): only
   * a drill that started later than the known one replaces it.
   */
  recordDrill(result: DrillResult): void {
    const known = this.drill;
    if (known && known.at.getTime() >= result.at.getTime()) return;
    this.drill = result;
    this.metrics.drillOk.set(result.ok ? 1 : 0);
    if (result.ok) this.metrics.drillSuccess.set(result.at.getTime() / 1000);
    else this.metrics.drillFailures.inc();
    if (result.restoreMs !== undefined) this.metrics.drillRestore.set(result.restoreMs / 1000);
  }

  health(): ResilienceHealth {
    const replicas = [...this.replicas].map(([target, state]) => ({
      target,
      ok: state.ok,
      at: state.at.toISOString(),
      lastSuccess: state.lastSuccess?.toISOString() ?? null,
      ...(state.error ? { error: state.error } : {}),
    }));
    const degraded = replicas
      .filter((replica) => !replica.ok)
      .map((replica) => `replica ${replica.target} failed: ${replica.error}`);
    const drill = this.drill;
    const drillError = drill?.error === undefined ? undefined : this.redact(drill.error);
    const problems = drill && !drill.ok ? [`the last restore drill failed: ${drillError}`] : [];
    return {
      problems,
      degraded,
      replicas,
      drill: drill
        ? {
            ok: drill.ok,
            at: drill.at.toISOString(),
            backup: drill.backup,
            restoreSeconds: drill.restoreMs === undefined ? undefined : drill.restoreMs / 1000,
            error: drillError,
          }
        : null,
    };
  }
}
