// /health and /metrics are often open to an uptime checker or a whole network: with every
// secret-bearing setting failing (so that errors about them are on show), the real daemon's
// answers must name what failed without the alert tokens, passwords, SSH user, host, folder
// and key files, or the drill command.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Alerts } from "../../daemon/alerts.js";
import { createLogger } from "../../shared/log.js";
import { expect, it } from "vitest";
import { runCli } from "../support/backup-env.js";
import { useBackupEnv } from "../support/use-backup-env.js";
import { freePort } from "../support/free-port.js";

const backup = useBackupEnv({ seedRows: 20, http: true });

it("shows what failed in /health and /metrics but no token, password, SSH detail or drill command", async () => {
  const keyFile = join(backup.ws.tmp.path, "id_ed25519_backup_secret");
  writeFileSync(keyFile, "not a real key\n", { mode: 0o600 });
  const deadPort = await freePort();
  backup.http.script.push(...Array<number>(10).fill(500));
  const secrets = {
    password: "p4ssw0rd-heartbeat",
    heartbeatToken: "tok-heartbeat-9a8b7c",
    queryKey: "qkey-77e1",
    notifyToken: "tok-notify-3c4d5e",
    sshUser: "backupuser",
    sshHost: "localhost",
    sshFolder: "/srv/secret-backups",
    keyFile,
    drillToken: "drill-tok-42x",
  };
  const env = {
    ...backup.ws.env,
    BACKUP_HEARTBEAT_URL: `http://hb:${secrets.password}@127.0.0.1:${deadPort}/ping/${secrets.heartbeatToken}?key=${secrets.queryKey}`,
    BACKUP_NOTIFY_URL: `${backup.http.url}/hooks/${secrets.notifyToken}`,
    BACKUP_REPLICA: `ssh://${secrets.sshUser}@${secrets.sshHost}:${deadPort}${secrets.sshFolder}`,
    BACKUP_SSH_KEY: keyFile,
    BACKUP_REPLICA_TIMEOUT: "10s",
    BACKUP_DRILL_COMMAND: `test "$DRILL_DB" = ${secrets.drillToken}`,
    BACKUP_ALERT_ATTEMPTS: "1",
  };
  const daemon = await backup.startDaemon(env);
  await daemon.waitForLine((line) => line.msg === "backup run finished");
  await daemon.waitForLine((line) => line.msg === "alert given up" && line.kind === "heartbeat");
  await daemon.waitForLine((line) => line.msg === "alert given up" && line.kind === "notify");
  // A drill by the CLI, which the daemon reads back from backup.log.
  expect(runCli(["drill"], env).status).toBe(1);
  let health = await daemon.get("/health");
  while (!health.body.includes("restore drill failed")) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    health = await daemon.get("/health");
  }
  const metrics = await daemon.get("/metrics");

  // What failed is there, so the absence of secrets below is not for want of errors.
  const body = JSON.parse(health.body) as { problems: string[]; degraded: string[] };
  expect(body.degraded).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^replica ssh-1 failed: ssh to \*\*\* failed: .*Connection refused/),
      expect.stringMatching(/^the last heartbeat alert was not delivered: .*ECONNREFUSED/),
      "the last notify alert was not delivered: HTTP 500 (1 attempts)",
    ]),
  );
  expect(body.problems).toContainEqual(
    expect.stringMatching(/^the last restore drill failed: BACKUP_DRILL_COMMAND exited 1/),
  );
  expect(metrics.body).toMatch(/^guardrail_backup_replica_up\{target="ssh-1"\} 0$/m);
  expect(metrics.body).toMatch(/^guardrail_backup_alert_up\{kind="heartbeat"\} 0$/m);

  for (const [name, secret] of Object.entries(secrets)) {
    expect(health.body, `/health shows ${name}`).not.toContain(secret);
    expect(metrics.body, `/metrics shows ${name}`).not.toContain(secret);
  }
  expect(health.body).not.toContain(`hb:`);
});

it("sends the user:password of an alert URL as basic auth, which fetch() alone refuses", async () => {
  const url = new URL(`${backup.http.url}/ping/abc`);
  url.username = "hb";
  url.password = "p4ss word";
  const alerts = new Alerts(
    {
      heartbeatUrl: url.toString(),
      heartbeatStyle: "healthchecks",
      notifyUrl: undefined,
      timeoutMs: 5000,
      attempts: 1,
      backoffMs: 0,
    },
    createLogger({ level: "silent" }),
  );
  expect(await alerts.heartbeat(true)).toBe(true);
  expect(backup.http.requests).toHaveLength(1);
  expect(backup.http.requests[0]!.url).toBe("/ping/abc");
  const header = String(backup.http.requests[0]!.headers.authorization);
  expect(header).toBe(`Basic ${Buffer.from("hb:p4ss word").toString("base64")}`);
});
