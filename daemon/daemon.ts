// The long-running sidecar: a scheduler that starts backups, one at a time, and an HTTP server
// for /health and /metrics. Shutdown stops scheduling, gives a running backup BACKUP_GRACE to
// finish, then aborts it (its temporary files are removed by the pipeline) and resolves.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { GuardrailError } from "../shared/errors.js";
import { createLogger, Field, type Logger } from "../shared/log.js";
import { listBackups } from "./catalog.js";
import type { BackupConfig } from "./config.js";
import { judgeHealth } from "./health.js";
import { removeLeftoversIfIdle } from "./leftovers.js";
import { databaseBaseName } from "./manifest.js";
import { createMetrics } from "./metrics.js";
import { createRunRecorder } from "./record.js";
import { runBackup, type AfterSuccessStep, type BackupResult } from "./run-backup.js";
import { Scheduler } from "./scheduler.js";

export interface DaemonOptions {
  config: BackupConfig;
  afterSuccess?: AfterSuccessStep[];
  logger?: Logger;
  /** Handle SIGTERM/SIGINT (stop) and SIGUSR1 (back up now); on by default. */
  signals?: boolean;
  watchdogMs?: number;
  /** Additions (replication, drills, alerts), built once the metrics registry exists. */
  extensions?: ((context: { registry: Registry; logger: Logger }) => DaemonExtension)[];
}

/** Something added to the daemon; every part is optional. */
export interface DaemonExtension {
  /** Steps run after each good backup, after the ones in DaemonOptions. */
  afterSuccess?: AfterSuccessStep[];
  /** Called after each backup run, whatever its outcome; must not throw. */
  afterRun?(result: BackupResult): Promise<void>;
  /** `problems` make /health 503, `degraded` are listed with a 200; `details` join the JSON. */
  health?(): { problems: string[]; degraded: string[]; details: Record<string, unknown> };
  /** Called once the daemon runs; returns what to call on shutdown. */
  start?(): () => void;
}

export interface Daemon {
  /** The port /health and /metrics listen on (useful with BACKUP_PORT=0). */
  port: number;
  /** Resolves once the daemon has shut down. */
  stopped: Promise<void>;
  stop(reason: string): Promise<void>;
  /** Starts a backup now unless one runs; resolves when it ends. */
  backupNow(reason: string): Promise<void>;
}

/**
 * Starts the daemon: signal handlers, then the HTTP server (so health is visible during
 * catch-up), then the schedule.
 */
export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ base: { [Field.component]: "daemon" } });
  const recorder = createRunRecorder(config.dir);
  const base = databaseBaseName(config.db);
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  let lastResult: BackupResult | undefined;
  // Heartbeats and alerts of finished runs, in order. They are not part of the run: an alert
  // endpoint that hangs (BACKUP_ALERT_TIMEOUT per attempt, with retries) must not make the
  // scheduler skip the next slot as "a backup is running".
  let reporting: Promise<void> = Promise.resolve();
  // At most one delivery runs and one waits: when endpoints are slower than the schedule, the
  // waiting one is replaced by the newest run's, so the queue cannot grow and no stale
  // heartbeat arrives after a newer failure.
  let waiting: BackupResult | undefined;
  const report = (result: BackupResult) => {
    if (waiting) {
      logger.warn({ replaced: waiting.startedAt }, "alerts of an earlier run dropped: still busy");
      waiting = result;
      return;
    }
    waiting = result;
    reporting = reporting.then(async () => {
      const latest = waiting!;
      waiting = undefined;
      for (const extension of extensions) {
        await extension.afterRun?.(latest).catch((error: unknown) => {
          logger.error({ [Field.err]: error }, "after-run report failed");
        });
      }
    });
  };

  const backups = () => listBackups(config.dir, base);
  const lastGood = async () => {
    const entry = (await backups()).find((candidate) => candidate.verified);
    return entry ? new Date(entry.manifest?.createdAt ?? entry.name.time) : undefined;
  };
  const metrics = createMetrics({ kept: async () => (await backups()).length, lastGood });
  const extensions = (options.extensions ?? []).map((make) =>
    make({ registry: metrics.registry, logger }),
  );
  const afterSuccess = [
    ...(options.afterSuccess ?? []),
    ...extensions.flatMap((extension) => extension.afterSuccess ?? []),
  ];

  const backupNow = (reason: string): Promise<void> => {
    if (running) {
      logger.info({ reason }, "backup request skipped: a backup is running");
      return running;
    }
    logger.info({ reason }, "backup starting");
    running = runBackup({
      config,
      logger,
      recorder,
      signal: abort.signal,
      afterSuccess,
    })
      .then((result) => {
        lastResult = result;
        metrics.observe(result);
        report(result);
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const scheduler = new Scheduler({
    schedule: config.schedule,
    timeZone: config.timeZone,
    logger,
    lastGood,
    busy: () => running !== undefined,
    run: (reason) => backupNow(reason),
    watchdogMs: options.watchdogMs,
  });

  const server = createServer((request, response) => {
    void (async () => {
      const known = request.url === "/health" || request.url === "/metrics";
      if (known && request.method !== "GET" && request.method !== "HEAD") {
        response
          .writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" })
          .end(`method ${request.method} not allowed on ${request.url}: use GET or HEAD\n`);
      } else if (request.url === "/health") {
        const health = await judgeHealth({
          config,
          lastGood,
          lastResult,
          nextRun: scheduler.nextRun(),
          running: running !== undefined,
        });
        const extra = extensions.flatMap((extension) => extension.health?.() ?? []);
        const problems = [...health.problems, ...extra.flatMap((part) => part.problems)];
        const degraded = extra.flatMap((part) => part.degraded);
        const healthy = problems.length === 0;
        const status = !healthy ? "failing" : degraded.length > 0 ? "degraded" : "ok";
        const body = { ...health, healthy, status, problems, degraded };
        for (const part of extra) Object.assign(body, part.details);
        response.writeHead(healthy ? 200 : 503, { "content-type": "application/json" });
        response.end(JSON.stringify(body) + "\n");
      } else if (request.url === "/metrics") {
        response.writeHead(200, { "content-type": metrics.registry.contentType });
        response.end(await metrics.registry.metrics());
      } else {
        response
          .writeHead(404, { "content-type": "text/plain" })
          .end("not found: try /health or /metrics\n");
      }
    })().catch((error: unknown) => {
      logger.error({ [Field.err]: error, url: request.url }, "http request failed");
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  let extensionStops: (void | (() => void))[] = [];
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, "daemon stopping");
      scheduler.stop();
      for (const stopExtension of extensionStops) stopExtension?.();
      if (running) {
        const finished = await Promise.race([
          running.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(resolve, config.graceMs, false).unref()),
        ]);
        if (!finished) {
          logger.warn({ graceMs: config.graceMs }, "backup aborted: grace period over");
          abort.abort(new Error(`the daemon was stopped (${reason})`));
          await running;
        }
      }
      // Alerts still being delivered get the same grace; an endpoint that hangs is not waited for.
      await Promise.race([
        reporting,
        new Promise((resolve) => setTimeout(resolve, config.graceMs).unref()),
      ]);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      logger.info({ reason }, "daemon stopped");
      resolveStopped();
    })();
    return stopping;
  };

  // Before anything can be asked of the daemon: a SIGUSR1 that reached Node's default handler
  // would open the inspector instead of starting a backup.
  if (options.signals !== false) {
    process.once("SIGTERM", () => void stop("SIGTERM"));
    process.once("SIGINT", () => void stop("SIGINT"));
    process.on("SIGUSR1", () => void backupNow("SIGUSR1"));
  }
  await listen(server, config.port);
  const port = (server.address() as AddressInfo).port;
  const removed = await removeLeftoversIfIdle(config.dir);
  if (removed.length > 0) logger.warn({ files: removed }, "leftovers of an earlier run removed");
  // A SIGTERM during start-up has already stopped everything: start nothing after it.
  if (stopping) return { port, stopped, stop, backupNow };
  void scheduler.start();
  extensionStops = extensions.map((extension) => extension.start?.());
  logger.info(
    { port, schedule: config.schedule, timeZone: config.timeZone, [Field.db]: config.db },
    "daemon started",
  );
  return { port, stopped, stop, backupNow };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new GuardrailError(`cannot listen on BACKUP_PORT ${port}: ${error.code ?? error.message}`, {
          cause: error,
          hint: "is another guardrail-backup daemon running? set BACKUP_PORT to a free port",
        }),
      ),
    );
    server.listen(port, () => {
      server.removeAllListeners("error");
      resolve();
    });
  });
}
