// Whether alerts get through, for /health and /metrics: an alert endpoint that hangs or refuses
// means nobody hears of a failed backup, so the daemon says so where a probe looks (degraded,
// still 200: the backups themselves are fine).
import { Counter, Gauge, type Registry } from "prom-client";
import type { AlertKind } from "./alerts.js";
import type { Redact } from "./redact.js";

interface Delivery {
  ok: boolean;
  at: Date;
  problem: string | undefined;
}

export class AlertStatus {
  private readonly last = new Map<AlertKind, Delivery>();
  private readonly up: Gauge;
  private readonly failures: Counter;

  constructor(
    registry: Registry,
    private readonly redact: Redact,
  ) {
    const prefix = "guardrail_backup_";
    this.up = new Gauge({
      name: `${prefix}alert_up`,
      help: "1 when the last alert of this kind was delivered, 0 when it was given up.",
      labelNames: ["kind"],
      registers: [registry],
    });
    this.failures = new Counter({
      name: `${prefix}alert_failures_total`,
      help: "Alerts given up after every attempt failed, by kind (heartbeat, notify).",
      labelNames: ["kind"],
      registers: [registry],
    });
  }

  /** Records the outcome of one alert (after its retries). */
  record(kind: AlertKind, ok: boolean, problem?: string): void {
    this.last.set(kind, { ok, at: new Date(), problem });
    this.up.set({ kind }, ok ? 1 : 0);
    if (!ok) this.failures.inc({ kind });
  }

  health(): { degraded: string[]; alerts: Record<string, unknown> } {
    const degraded: string[] = [];
    const alerts: Record<string, unknown> = {};
    for (const [kind, { ok, at, problem }] of this.last) {
      const error = problem === undefined ? undefined : this.redact(problem);
      alerts[kind] = { ok, at: at.toISOString(), ...(ok ? {} : { error }) };
      if (!ok) degraded.push(`the last ${kind} alert was not delivered: ${error}`);
    }
    return { degraded, alerts };
  }
}
