// Alert endpoints that hang (accept, never answer) or refuse (connection refused, HTTP 500),
// against the real daemon: backups keep running while an alert waits, each attempt has a
// deadline, and the failure is logged and shown in /health and /metrics.
import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { DaemonProcess } from "../support/backup-env.js";
import { processesUsing } from "../support/processes.js";
import { useBackupEnv } from "../support/use-backup-env.js";
import { freePort } from "../support/free-port.js";

const backup = useBackupEnv({ seedRows: 50, http: true });

/** Waits until `msg` has been logged `n` times (with `extra` fields matching). */
function nth(d: DaemonProcess, msg: string, n: number, extra: Record<string, unknown> = {}) {
  const matches = (line: Record<string, unknown>) =>
    line.msg === msg && Object.entries(extra).every(([key, value]) => line[key] === value);
  return d.waitForLine((line) => matches(line) && d.lines.filter(matches).length >= n);
}

/** Stops the daemon with SIGTERM; it must exit 0 and leave no process behind. */
async function stopCleanly(d: DaemonProcess): Promise<void> {
  d.child.kill("SIGTERM");
  expect(await d.exited).toBe(0);
  expect(processesUsing(backup.ws.tmp.path)).toEqual([]);
}

describe("alert endpoint faults", () => {
  it("keeps backing up while the heartbeat endpoint hangs, gives each attempt a deadline, and shows the failure", async () => {
    backup.http.script.push(...Array<"hang">(20).fill("hang"));
    const daemon = await backup.startDaemon({
      ...backup.ws.env,
      BACKUP_HEARTBEAT_URL: `${backup.http.url}/ping/check-uuid-5f1c`,
      BACKUP_ALERT_TIMEOUT: "2s",
      BACKUP_ALERT_ATTEMPTS: "2",
      BACKUP_GRACE: "3s",
    });
    await nth(daemon, "backup run finished", 1);
    // The first heartbeat has reached the endpoint, which holds it without answering.
    await nth(daemon, "alert delivery failed", 1, { kind: "heartbeat" });

    daemon.child.kill("SIGUSR1");
    await nth(daemon, "backup run finished", 2);
    const given = await nth(daemon, "alert given up", 1, { kind: "heartbeat" });
    expect(given.problem).toBe("no answer within 2000 ms");
    expect(daemon.lines.filter((line) => line.msg === "backup request skipped")).toEqual([]);
    const attempts = daemon.lines.filter((l) => l.msg === "alert delivery failed");
    expect(attempts.every((line) => line.problem === "no answer within 2000 ms")).toBe(true);

    const health = await daemon.get("/health");
    expect(health.status).toBe(200);
    const body = JSON.parse(health.body) as Record<string, unknown>;
    expect(body.status).toBe("degraded");
    expect(body.degraded).toContain(
      "the last heartbeat alert was not delivered: no answer within 2000 ms (2 attempts)",
    );
    expect(body.alerts).toMatchObject({ heartbeat: { ok: false } });
    const metrics = (await daemon.get("/metrics")).body;
    expect(metrics).toMatch(/^guardrail_backup_alert_up\{kind="heartbeat"\} 0$/m);
    expect(metrics).toMatch(/^guardrail_backup_alert_failures_total\{kind="heartbeat"\} [1-9]/m);
    expect(metrics).toMatch(/^guardrail_backup_runs_total\{outcome="ok"\} 2$/m);
    expect(`${health.body}${metrics}`).not.toContain("5f1c");

    await stopCleanly(daemon);
  });

  it("keeps one delivery waiting, the newest run's, when runs finish faster than a hanging endpoint", async () => {
    backup.http.script.push(...Array<"hang">(20).fill("hang"));
    const daemon = await backup.startDaemon({
      ...backup.ws.env,
      BACKUP_HEARTBEAT_URL: `${backup.http.url}/ping/slow`,
      BACKUP_ALERT_TIMEOUT: "10s",
      BACKUP_ALERT_ATTEMPTS: "1",
      BACKUP_GRACE: "1s",
    });
    await nth(daemon, "backup run finished", 1);
    // While the first heartbeat hangs, three more runs finish: one waits, two are replaced.
    for (let run = 2; run <= 4; run++) {
      daemon.child.kill("SIGUSR1");
      await nth(daemon, "backup run finished", run);
    }
    // Logged right after each run's record line, so wait for the second one.
    await nth(daemon, "alerts of an earlier run dropped: still busy", 2);
    await nth(daemon, "backup run finished", 4);
    const dropped = daemon.lines.filter(
      (line) => line.msg === "alerts of an earlier run dropped: still busy",
    );
    expect(dropped).toHaveLength(2);
    await stopCleanly(daemon);
  });

  it("goes on after a refused heartbeat and a notification answered with 500, and recovers when they answer", async () => {
    const port = await freePort();
    backup.http.script.push(500, 500);
    const daemon = await backup.startDaemon({
      ...backup.ws.env,
      BACKUP_HEARTBEAT_URL: `http://127.0.0.1:${port}/ping/abc`,
      BACKUP_NOTIFY_URL: `${backup.http.url}/hook`,
      BACKUP_ALERT_TIMEOUT: "5s",
      BACKUP_ALERT_ATTEMPTS: "2",
    });
    await nth(daemon, "backup run finished", 1);
    const refused = await nth(daemon, "alert given up", 1, { kind: "heartbeat" });
    expect(refused.problem).toMatch(/ECONNREFUSED/);

    // A failed run: the notification gets HTTP 500 twice and is given up, the daemon goes on.
    rmSync(backup.ws.db);
    daemon.child.kill("SIGUSR1");
    await nth(daemon, "backup run failed", 1);
    const refusedNotify = await nth(daemon, "alert given up", 1, { kind: "notify" });
    expect(refusedNotify.problem).toBe("HTTP 500");
    expect(backup.http.requests.filter((r) => r.method === "POST")).toHaveLength(2);

    let body = JSON.parse((await daemon.get("/health")).body) as Record<string, unknown>;
    expect(body.degraded).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^the last heartbeat alert was not delivered: .*ECONNREFUSED/),
        "the last notify alert was not delivered: HTTP 500 (2 attempts)",
      ]),
    );

    // The endpoint answers again: the next failure's notification gets through.
    daemon.child.kill("SIGUSR1");
    await nth(daemon, "backup run failed", 2);
    await waitFor(() => backup.http.requests.filter((r) => r.method === "POST").length === 3);
    await waitFor(async () => {
      const now = JSON.parse((await daemon.get("/health")).body) as Record<string, unknown>;
      return (now.alerts as { notify?: { ok: boolean } }).notify?.ok === true;
    });
    body = JSON.parse((await daemon.get("/health")).body) as Record<string, unknown>;
    expect(body.degraded).not.toContainEqual(expect.stringMatching(/notify alert/));
    const metrics = (await daemon.get("/metrics")).body;
    expect(metrics).toMatch(/^guardrail_backup_alert_up\{kind="notify"\} 1$/m);
    expect(metrics).toMatch(/^guardrail_backup_alert_failures_total\{kind="notify"\} 1$/m);

    await stopCleanly(daemon);
  });
});

/** Polls `condition` until it holds (the test's own timeout bounds the wait). */
async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50));
}
