// The glue between the backup pipeline and what reaches beyond the local folder: replication
// after each good backup, a heartbeat or alert after every run, and restore drills (on demand
// and on BACKUP_DRILL_SCHEDULE). Both `once` and the daemon build one of these from the config.
import cron from "node-cron";
import { Registry } from "prom-client";
import { Field, type Logger } from "../shared/log.js";
import { AlertStatus } from "./alert-status.js";
import { Alerts } from "./alerts.js";
import { isSecretName, type BackupConfig } from "./config.js";
import { runDrill, type DrillResult } from "./drill.js";
import { followDrills } from "./drill-record.js";
import { DirTarget } from "./replica-dir.js";
import { SshTarget } from "./replica-ssh.js";
import type { ReplicaTarget } from "./replica-target.js";
import { replicate } from "./replica.js";
import { createRunRecorder } from "./record.js";
import { publicTargetNames, redactorFor } from "./redact.js";
import { ResilienceStatus } from "./resilience-status.js";
import type { AfterSuccessStep, BackupResult } from "./run-backup.js";
import type { DaemonExtension } from "./daemon.js";

export interface Resilience {
  status: ResilienceStatus;
  /** Whether alerts got through, for /health and /metrics. */
  alertStatus: AlertStatus;
  alerts: Alerts;
  /** Replication, when BACKUP_REPLICA names targets. */
  afterSuccess: AfterSuccessStep[];
  /** After every run: heartbeat on success, heartbeat failure and a notice on failure. */
  afterRun(result: BackupResult): Promise<void>;
  /** One drill, recorded in the status and alerted when it fails. */
  drill(signal?: AbortSignal): Promise<DrillResult>;
  /** Starts drills on BACKUP_DRILL_SCHEDULE; returns a function that stops them. */
  scheduleDrills(): () => void;
}

/**
 * Builds the pieces from `config`. `registry` receives the metrics (a private one by default);
 * drill results go to `recorder` (stdout and backup.log, like backup runs), else to `logger`.
 */
export function createResilience(
  config: BackupConfig,
  logger: Logger,
  options: { registry?: Registry; recorder?: Logger } = {},
): Resilience {
  const registry = options.registry ?? new Registry();
  const settings = config.resilience;
  const targets = settings.replica.targets.map((spec): ReplicaTarget => {
    if (spec.kind === "dir") return new DirTarget(spec.label, spec.path);
    return new SshTarget(spec.label, spec, {
      keyFile: settings.replica.sshKey ?? "",
      knownHostsFile: settings.replica.knownHosts,
      timeoutMs: settings.replica.timeoutMs,
    });
  });
  const names = publicTargetNames(config);
  const redact = redactorFor(config);
  const status = new ResilienceStatus(
    registry,
    targets.map((target) => target.label),
    { publicName: (label) => names.get(label) ?? label, redact },
  );
  const alertStatus = new AlertStatus(registry, redact);
  const alerts = new Alerts(
    settings.alerts,
    logger.child({ [Field.step]: "alerts" }),
    (kind, ok, problem) => alertStatus.record(kind, ok, problem),
  );

  const replicaStep: AfterSuccessStep = {
    name: "replicate",
    run: async (_result, context) => {
      const outcomes = await replicate({
        ...config,
        targets,
        logger: context.logger,
        signal: shutdownOnly(context.signal),
      });
      status.recordReplicas(outcomes);
      const failed = outcomes.filter((outcome) => !outcome.ok);
      for (const outcome of failed) {
        await alerts.notify("replica", outcome.error ?? "failed", {
          target: outcome.target,
          db: config.db,
        });
      }
      if (failed.length > 0) {
        throw new Error(
          `replica failed: ${failed.map((o) => `${o.target}: ${o.error}`).join("; ")}`,
        );
      }
      return outcomes.map(({ target, copied, removed }) => ({ target, copied, removed }));
    },
  };

  const drill = async (signal?: AbortSignal): Promise<DrillResult> => {
    const result = await runDrill({
      dir: config.dir,
      db: config.db,
      command: settings.drill.command,
      commandTimeoutMs: settings.drill.timeoutMs,
      env: drillEnvironment(),
      logger: (options.recorder ?? logger).child({ [Field.step]: "drill" }),
      signal,
    });
    status.recordDrill(result);
    if (!result.ok) {
      await alerts.notify("drill", result.error ?? "failed", {
        db: config.db,
        file: result.backup,
      });
      await alerts.heartbeat(false, `restore drill failed: ${result.error}`);
    }
    return result;
  };

  return {
    status,
    alertStatus,
    alerts,
    afterSuccess: targets.length > 0 ? [replicaStep] : [],
    afterRun: async (result) => {
      if (result.outcome === "ok") await alerts.heartbeat(true);
      if (result.outcome !== "failed") return;
      await alerts.heartbeat(false, `${result.failedStep}: ${result.error}`);
      await alerts.notify("backup", result.error ?? "failed", {
        db: result.db,
        step: result.failedStep,
        hint: result.hint,
      });
    },
    drill,
    scheduleDrills: () => {
      const schedule = settings.drill.schedule;
      if (!schedule) return () => {};
      let running: Promise<unknown> | undefined;
      const abort = new AbortController();
      const task = cron.schedule(
        schedule,
        () => {
          // A drill still running (a slow BACKUP_DRILL_COMMAND) is not started twice.
          running ??= drill(abort.signal).finally(() => (running = undefined));
        },
        { timezone: config.timeZone },
      );
      // Shutdown stops the schedule and kills a running BACKUP_DRILL_COMMAND's process tree.
      return () => {
        void task.stop();
        abort.abort();
      };
    },
  };
}

/** The daemon's side of it: replication steps, alerts after runs, scheduled drills, health. */
export function resilienceExtension(
  config: BackupConfig,
): (context: { registry: Registry; logger: Logger }) => DaemonExtension {
  return ({ registry, logger }) => {
    const recorder = createRunRecorder(config.dir);
    const resilience = createResilience(config, logger, { registry, recorder });
    return {
      afterSuccess: resilience.afterSuccess,
      afterRun: resilience.afterRun,
      health: () => {
        const { problems, degraded, replicas, drill } = resilience.status.health();
        const alerting = resilience.alertStatus.health();
        return {
          problems,
          degraded: [...degraded, ...alerting.degraded],
          details: { replicas, drill, alerts: alerting.alerts },
        };
      },
      start: () => {
        const stopSchedule = resilience.scheduleDrills();
        // Drills run by `guardrail-backup drill` in another process, seen through backup.log.
        const stopFollowing = followDrills(config.dir, ({ result }) =>
          resilience.status.recordDrill(result),
        );
        return () => {
          stopSchedule();
          stopFollowing();
        };
      },
    };
  };
}

/**
 * The run's signal without its BACKUP_TIMEOUT: a slow link may take longer than a backup does,
 * and a copy cut short every time would never finish. Shutdown still stops replication.
 */
function shutdownOnly(signal: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const forward = () => {
    const reason: unknown = signal.reason;
    if (reason instanceof DOMException && reason.name === "TimeoutError") return;
    controller.abort(reason);
  };
  if (signal.aborted) forward();
  else signal.addEventListener("abort", forward, { once: true });
  return controller.signal;
}

/** The drill command's environment: the sidecar's, without BACKUP_* and secret-looking names. */
function drillEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || name.startsWith("BACKUP_") || isSecretName(name)) continue;
    env[name] = value;
  }
  return env;
}
