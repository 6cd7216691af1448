// Part 3 of the demo: the sidecar as it runs in production (`guardrail-backup run`), probed over
// real HTTP on /health and /metrics, asked for a backup with SIGUSR1, stopped with SIGTERM.
import type { BackupsResult } from "./backups.js";
import { nodeBinary } from "./backups.js";
import type { Processes } from "./processes.js";
import { DemoError, note, ok, section, show, step } from "./say.js";
import { BACKUP_CLI, type Workspace } from "./workspace.js";

export interface DaemonResult {
  port: number;
  healthStatus: number;
  daemonExit: number;
  rowsWritten: number;
}

// The metrics worth a look; the rest are Node's process metrics under the same prefix.
const SHOWN_METRICS =
  /^guardrail_backup_(last_success_timestamp_seconds|kept_backups|runs_total|failures_total|last_duration_seconds|last_size_bytes)\b/;

export async function demoDaemon(
  ws: Workspace,
  procs: Processes,
  backups: BackupsResult,
): Promise<DaemonResult> {
  section("3. The sidecar as a daemon: /health and /metrics");
  step("guardrail-backup run   (BACKUP_PORT=0: any free port; the schedule stays the default)");
  const daemon = procs.start(nodeBinary(), [BACKUP_CLI, "run"], {
    cwd: ws.root,
    env: backups.env,
  });
  const started = JSON.parse(await daemon.waitForLine(/"msg":"daemon started"/)) as {
    port: number;
  };
  const base = `http://127.0.0.1:${started.port}`;
  show(`daemon started, listening on port ${started.port}`);

  step(`GET ${base}/health`);
  const health = await fetch(`${base}/health`);
  const body = (await health.json()) as Record<string, unknown>;
  show(`HTTP ${health.status}\n${JSON.stringify(body, null, 2)}`);
  if (health.status !== 200) throw new DemoError(`/health answered ${health.status}, not 200`);
  ok("health 200: the newest verified backup is younger than BACKUP_MAX_AGE");

  step("kill -USR1 <daemon pid>   (take a backup now, as the schedule would)");
  daemon.child.kill("SIGUSR1");
  await daemon.waitForLine(/"msg":"backup run finished"/);
  note("the daemon logged `backup run finished`; its JSON lines are also in backup.log");

  step(`GET ${base}/metrics   (a few of the lines)`);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  const shown = metrics.split("\n").filter((line) => SHOWN_METRICS.test(line));
  show(shown.join("\n"));
  if (!shown.some((line) => line.startsWith('guardrail_backup_runs_total{outcome="ok"} 1'))) {
    throw new DemoError("the metrics do not count the backup the daemon took");
  }
  ok("metrics count the daemon's backup");
  note("after a good backup the daemon applies the retention rule: same-day backups are pruned");

  step("kill -TERM <daemon pid>   (stops scheduling, lets a running backup finish, exits 0)");
  const daemonExit = await daemon.stop("SIGTERM");
  show(`daemon exited with code ${daemonExit}`);
  if (daemonExit !== 0) throw new DemoError(`the daemon exited with ${daemonExit} on SIGTERM`);

  step("stopping the app");
  await backups.writer.stop("SIGTERM");
  const stopped = await backups.writer.waitForLine(/^stopped \d+/);
  const rowsWritten = Number(stopped.split(" ")[1]);
  show(`the app committed ${rowsWritten} tasks while it ran`);
  return { port: started.port, healthStatus: health.status, daemonExit, rowsWritten };
}
