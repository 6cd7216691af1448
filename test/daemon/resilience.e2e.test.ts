// The "done when", end to end with the built CLI: a second folder and an SSH target get
// verified copies, the newest backup restores over a stopped app's database and can be undone,
// a drill runs a command on the restored copy, a heartbeat follows a good backup and an alert a
// corrupt database; the daemon reports a failing target in /health and /metrics.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listBackups } from "../../daemon/catalog.js";
import { CLI, query, type CliResult, startWriter } from "../support/backup-env.js";
import { startSshd, type TestSshd } from "../support/sshd.js";
import { useBackupEnv } from "../support/use-backup-env.js";

const backup = useBackupEnv({ http: true });

let sshd: TestSshd;
let secondDisk: string;
let remote: string;
let env: Record<string, string>;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  sshd = await startSshd();
});
afterAll(async () => sshd?.stop());
beforeEach(async () => {
  secondDisk = join(backup.ws.tmp.path, "second-disk");
  remote = join(sshd.dir, `offsite-${readdirSync(sshd.dir).length}`);
  mkdirSync(secondDisk);
  mkdirSync(remote);
  env = {
    ...backup.ws.env,
    BACKUP_REPLICA: `${secondDisk},ssh://${sshd.user}@127.0.0.1:${sshd.port}${remote}`,
    BACKUP_SSH_KEY: sshd.keyFile,
    BACKUP_SSH_KNOWN_HOSTS: sshd.knownHostsFile,
    BACKUP_HEARTBEAT_URL: `${backup.http.url}/ping/5f1c`,
    BACKUP_NOTIFY_URL: `${backup.http.url}/notify`,
    BACKUP_ALERT_ATTEMPTS: "1",
  };
});

/** Runs the built CLI without blocking this process, which serves the HTTP endpoint it calls. */
function runCli(args: string[], cliEnv: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...cliEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve) =>
    child.once("close", (status) => resolve({ status, stdout, stderr })),
  );
}

const count = (db: string) => query<{ n: number }>(db, "SELECT count(*) AS n FROM events")[0]!.n;

describe("backups that survive the machine", () => {
  it("copies, restores, undoes, drills and sends a heartbeat for a live app", async () => {
    const app = await startWriter(backup.ws.db, "hold", 40, { noCheckpoint: true });

    const once = await runCli(["once"], env);
    expect(once.status, once.stderr).toBe(0);

    const [local] = await listBackups(backup.ws.dir);
    for (const target of [secondDisk, remote]) {
      const copies = await listBackups(target);
      expect(copies.map((c) => [c.file, c.verified])).toEqual([[local!.file, true]]);
      expect(readFileSync(copies[0]!.path)).toEqual(readFileSync(local!.path));
    }
    expect(backup.http.requests.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /ping/5f1c"]);

    // While the app runs, restore refuses and changes nothing.
    const refused = await runCli(["restore", "--latest", "--to", backup.ws.db], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/is open in .*pid \d+.*\nhint: stop the app first/);
    expect(readdirSync(join(backup.ws.db, "..")).some((f) => f.includes("pre-restore"))).toBe(
      false,
    );

    // The app stops, then writes more (they are not in the backup) and dies.
    await app.stop();
    const later = await startWriter(backup.ws.db, "hold", 25, { noCheckpoint: true });
    await later.kill();
    const liveRows = count(backup.ws.db);
    expect(liveRows).toBe(65);

    const restore = await runCli(["restore", "--latest", "--to", backup.ws.db], env);
    expect(restore.status, restore.stderr).toBe(0);
    expect(count(backup.ws.db)).toBe(40);
    expect(restore.stdout).toContain(`restored ${local!.path}`);
    const undo = restore.stdout
      .split("to undo, with the app stopped:\n")[1]!
      .trim()
      .split("\n")
      .map((line) => line.trim());
    execFileSync("sh", ["-c", undo.join(" && ")]);
    expect(count(backup.ws.db)).toBe(liveRows);

    const proof = join(backup.ws.tmp.path, "drill-proof");
    const drill = await runCli(["drill"], {
      ...env,
      DRILL_PROOF: proof,
      BACKUP_DRILL_COMMAND: `sqlite3 "$DRILL_DB" "SELECT count(*) FROM events" > "$DRILL_PROOF"`,
    });
    expect(drill.status, drill.stderr).toBe(0);
    expect(drill.stdout).toMatch(/drill ok: .* BACKUP_DRILL_COMMAND passed/);
    expect(readFileSync(proof, "utf8").trim()).toBe("40");
    const log = readFileSync(join(backup.ws.dir, "backup.log"), "utf8");
    expect(log).toMatch(/"outcome":"ok".*"restoreMs":\d+.*"msg":"drill finished"/);
  });

  it("alerts when the database is corrupt, and when a drill fails", async () => {
    const app = await startWriter(backup.ws.db, "hold", 3000);
    await app.stop();
    expect((await runCli(["once"], env)).status).toBe(0);
    const bytes = readFileSync(backup.ws.db);
    bytes.fill(0x5a, 8 * 4096, 40 * 4096);
    writeFileSync(backup.ws.db, bytes);

    const failed = await runCli(["once"], env);
    expect(failed.status).toBe(1);
    const drill = await runCli(["drill"], {
      ...env,
      BACKUP_DRILL_COMMAND: "echo app answers 500; exit 1",
    });
    expect(drill.status).toBe(1);
    expect(drill.stderr).toContain(
      "restore drill failed: BACKUP_DRILL_COMMAND exited 1: app answers 500",
    );
    // The restore itself worked: the hint must blame the command, not the backup.
    expect(drill.stderr).toMatch(
      /hint: .* restored and passed its checks, but BACKUP_DRILL_COMMAND failed \(exit code 1\)/,
    );
    expect(drill.stderr).not.toContain("verify --full");

    const seen = backup.http.requests.map((r) => `${r.method} ${r.url}`);
    expect(seen).toEqual([
      "GET /ping/5f1c",
      "GET /ping/5f1c/fail",
      "POST /notify",
      "POST /notify",
      "GET /ping/5f1c/fail",
    ]);
    const [backupAlert, drillAlert] = backup.http.requests
      .filter((r) => r.method === "POST")
      .map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(backupAlert).toMatchObject({ event: "backup", db: backup.ws.db });
    expect(String(backupAlert!.error)).toMatch(/corrupt|malformed|check failed|not a database/i);
    expect(drillAlert).toMatchObject({
      event: "drill",
      error: "BACKUP_DRILL_COMMAND exited 1: app answers 500",
    });
  });

  it("keeps backing up with a failing target, says which in /health and /metrics, and alerts", async () => {
    const app = await startWriter(backup.ws.db, "hold", 10);
    await app.stop();
    const unmounted = join(backup.ws.tmp.path, "nas");
    const daemon = await backup.startDaemon({
      ...env,
      BACKUP_REPLICA: `${unmounted},${secondDisk}`,
    });
    await daemon.waitForLine((line) => line.msg === "backup run finished");

    const health = await daemon.get("/health");
    expect(health.status).toBe(200);
    const body = JSON.parse(health.body) as Record<string, unknown>;
    expect(body.status).toBe("degraded");
    expect(body.degraded).toEqual([
      expect.stringMatching(
        new RegExp(`^replica ${unmounted} failed: replica folder .* does not exist`),
      ),
    ]);
    const metrics = (await daemon.get("/metrics")).body;
    expect(metrics).toContain(`guardrail_backup_replica_up{target="${unmounted}"} 0`);
    expect(metrics).toContain(`guardrail_backup_replica_up{target="${secondDisk}"} 1`);
    expect(metrics).toContain(`guardrail_backup_replica_failures_total{target="${unmounted}"} 1`);
    expect(metrics).toMatch(/guardrail_backup_drill_failures_total 0/);
    expect((await listBackups(secondDisk)).length).toBe(1);
    const notice = backup.http.requests.find((r) => r.method === "POST");
    expect(JSON.parse(notice!.body)).toMatchObject({ event: "replica", target: unmounted });
  });

  it("runs drills on BACKUP_DRILL_SCHEDULE and reports them in /health, /metrics and backup.log", async () => {
    const app = await startWriter(backup.ws.db, "hold", 10);
    await app.stop();
    const proof = join(backup.ws.tmp.path, "drill-proof");
    const daemon = await backup.startDaemon({
      ...env,
      BACKUP_REPLICA: secondDisk,
      BACKUP_DRILL_SCHEDULE: "* * * * * *",
      DRILL_PROOF: proof,
      BACKUP_DRILL_COMMAND: `sqlite3 "$DRILL_DB" "SELECT count(*) FROM events" > "$DRILL_PROOF"`,
    });
    const line = await daemon.waitForLine((l) => l.msg === "drill finished");
    expect(line).toMatchObject({ outcome: "ok", commandExitCode: 0 });
    expect(readFileSync(proof, "utf8").trim()).toBe("10");

    const health = await daemon.get("/health");
    expect(health.status).toBe(200);
    const body = JSON.parse(health.body) as { status: string; drill: Record<string, unknown> };
    expect(body.status).toBe("ok");
    expect(body.drill).toMatchObject({
      ok: true,
      backup: expect.stringMatching(/^tasks-.*\.sqlite3\.gz$/),
    });
    const metrics = (await daemon.get("/metrics")).body;
    expect(metrics).toContain("guardrail_backup_drill_last_ok 1");
    expect(metrics).toMatch(/guardrail_backup_drill_restore_seconds \d/);
    expect(readFileSync(join(backup.ws.dir, "backup.log"), "utf8")).toContain(
      '"msg":"drill finished"',
    );
  });

  it("turns /health to 503 when a scheduled drill fails", async () => {
    const app = await startWriter(backup.ws.db, "hold", 10);
    await app.stop();
    const daemon = await backup.startDaemon({
      ...env,
      BACKUP_REPLICA: secondDisk,
      BACKUP_DRILL_SCHEDULE: "* * * * * *",
      BACKUP_DRILL_COMMAND: "echo migrations failed; exit 4",
    });
    await daemon.waitForLine((l) => l.msg === "backup run finished");
    await daemon.waitForLine((l) => l.msg === "drill failed" && l.file !== undefined);

    const health = await daemon.get("/health");
    expect(health.status).toBe(503);
    const body = JSON.parse(health.body) as { problems: string[] };
    expect(body.problems).toContain(
      "the last restore drill failed: BACKUP_DRILL_COMMAND exited 4: migrations failed",
    );
    const drillAlerts = backup.http.requests
      .filter((r) => r.method === "POST")
      .map((r) => JSON.parse(r.body) as Record<string, unknown>)
      .filter((b) => b.event === "drill");
    expect(drillAlerts.length).toBeGreaterThan(0);
  });
});

describe("the restore and drill commands", () => {
  it("exit 2 on bad usage and 0 on --help", async () => {
    const neither = await runCli(["restore", "--to", backup.ws.db], backup.ws.env);
    expect(neither.status, neither.stderr).toBe(2);
    expect(neither.stderr).toContain("name one backup to restore, or pass --latest");
    expect(
      (await runCli(["restore", "x.sqlite3.gz", "--latest", "--to", backup.ws.db], backup.ws.env))
        .status,
    ).toBe(2);
    expect((await runCli(["restore", "--latest"], backup.ws.env)).status).toBe(2);
    for (const command of ["restore", "drill"]) {
      const help = await runCli([command, "--help"], backup.ws.env);
      expect(help.status).toBe(0);
      expect(help.stdout).toContain(`Usage: guardrail-backup ${command}`);
    }
  });

  it("restores a backup named in BACKUP_DIR and rejects a missing one with a hint", async () => {
    const app = await startWriter(backup.ws.db, "hold", 12);
    await app.stop();
    expect((await runCli(["once"], backup.ws.env)).status).toBe(0);
    const [newest] = await listBackups(backup.ws.dir);

    const missing = await runCli(
      ["restore", "tasks-20200101-0000.sqlite3.gz", "--to", backup.ws.db],
      backup.ws.env,
    );
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(
      /^guardrail-backup: no backup named tasks-20200101-0000\.sqlite3\.gz in BACKUP_DIR \(.*\) or the current folder\nhint: /,
    );

    const restored = await runCli(["restore", newest!.file, "--to", backup.ws.db], backup.ws.env);
    expect(restored.status, restored.stderr).toBe(0);
    expect(count(backup.ws.db)).toBe(12);
  });
});

describe("drills run by another process", () => {
  /** Asks /health until `done` holds for its body; the test's own timeout bounds the wait. */
  async function healthUntil(
    done: (body: {
      status: string;
      problems: string[];
      drill: Record<string, unknown> | null;
    }) => boolean,
  ) {
    for (;;) {
      const response = await backup.daemon.get("/health");
      const body = JSON.parse(response.body) as Parameters<typeof done>[0];
      if (done(body)) return { status: response.status, body };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("shows a CLI drill in the daemon's /health and /metrics, from before it started and after", async () => {
    const app = await startWriter(backup.ws.db, "hold", 10);
    await app.stop();
    expect((await runCli(["once"], backup.ws.env)).status).toBe(0);
    const before = await runCli(["drill"], backup.ws.env);
    expect(before.status, before.stderr).toBe(0);

    const daemon = await backup.startDaemon({ ...backup.ws.env, BACKUP_DRILL_SCHEDULE: "off" });
    const seen = await healthUntil((body) => body.drill !== null);
    expect(seen.status).toBe(200);
    expect(seen.body.drill).toMatchObject({ ok: true, backup: expect.stringMatching(/^tasks-/) });
    expect((await daemon.get("/metrics")).body).toContain("guardrail_backup_drill_last_ok 1");

    const failed = await runCli(["drill"], { ...backup.ws.env, BACKUP_DRILL_COMMAND: "exit 3" });
    expect(failed.status).toBe(1);
    const after = await healthUntil((body) => body.drill?.ok === false);
    expect(after.status).toBe(503);
    expect(after.body.problems).toEqual([
      expect.stringMatching(/^the last restore drill failed: BACKUP_DRILL_COMMAND exited 3/),
    ]);
    const metrics = (await daemon.get("/metrics")).body;
    expect(metrics).toContain("guardrail_backup_drill_last_ok 0");
    expect(metrics).toContain("guardrail_backup_drill_failures_total 1");
  });
});
