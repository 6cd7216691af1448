import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  formatBackupName,
  manifestNameFor,
  TEMP_PREFIX,
  type Manifest,
} from "../../daemon/manifest.js";
import { CLI, runCli, seedDatabase } from "../support/backup-env.js";
import { useBackupEnv } from "../support/use-backup-env.js";

const backup = useBackupEnv();

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
});

const backups = () =>
  readdirSync(backup.ws.dir).filter(
    (file) => file.endsWith(".sqlite3.gz") && !file.startsWith(TEMP_PREFIX),
  );

/** Takes a real backup with the CLI, then makes it look `ageMs` old (name and manifest). */
function backupAged(ageMs: number): string {
  expect(runCli(["once"], backup.ws.env).status).toBe(0);
  const file = backups()[0]!;
  const time = new Date(Date.now() - ageMs);
  const aged = formatBackupName("tasks", time);
  const manifest = JSON.parse(
    readFileSync(join(backup.ws.dir, manifestNameFor(file)), "utf8"),
  ) as Manifest;
  writeFileSync(
    join(backup.ws.dir, manifestNameFor(file)),
    JSON.stringify({ ...manifest, file: aged, createdAt: time.toISOString() }),
  );
  renameSync(
    join(backup.ws.dir, manifestNameFor(file)),
    join(backup.ws.dir, manifestNameFor(aged)),
  );
  renameSync(join(backup.ws.dir, file), join(backup.ws.dir, aged));
  return aged;
}

/** Asks /health until it answers `status`; fails if the daemon exits first. */
async function healthBecomes(status: number): Promise<Record<string, unknown>> {
  for (;;) {
    const response = await backup.daemon.get("/health");
    if (response.status === status) return JSON.parse(response.body) as Record<string, unknown>;
    if (backup.daemon.child.exitCode !== null) throw new Error("daemon exited");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the daemon", () => {
  it("reports healthy with a fresh backup, serves metrics, and turns 503 when a backup fails", async () => {
    seedDatabase(backup.ws.db, 200);
    backupAged(60_000);
    const daemon = await backup.startDaemon(backup.ws.env);

    const healthy = await daemon.get("/health");
    expect(healthy.status).toBe(200);
    expect(JSON.parse(healthy.body)).toMatchObject({ healthy: true, problems: [], lastRun: null });
    expect(JSON.parse(healthy.body).nextRun).toMatch(/T03:00:00.000Z$/);

    const metrics = await daemon.get("/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/^guardrail_backup_last_success_timestamp_seconds \d+/m);
    expect(metrics.body).toMatch(/^guardrail_backup_kept_backups 1$/m);
    expect(metrics.body).toMatch(/^guardrail_backup_failures_total 0$/m);

    // The database goes bad; SIGUSR1 asks for a backup now.
    writeFileSync(backup.ws.db, "not a database ".repeat(1000));
    daemon.child.kill("SIGUSR1");
    const unhealthy = await healthBecomes(503);
    expect(unhealthy.healthy).toBe(false);
    expect(unhealthy.problems).toEqual([
      expect.stringMatching(/^the last backup failed at snapshot/),
    ]);
    expect((await daemon.get("/metrics")).body).toMatch(/^guardrail_backup_failures_total 1$/m);
    const record = await daemon.waitForLine((line) => line.msg === "backup run failed");
    expect(record).toMatchObject({ outcome: "failed", step: "snapshot" });
  });

  it("answers 405 to methods other than GET and HEAD on /health and /metrics", async () => {
    seedDatabase(backup.ws.db, 10);
    backupAged(60_000);
    const daemon = await backup.startDaemon({ ...backup.ws.env, BACKUP_SCHEDULE: "0 3 1 1 *" });
    for (const path of ["/health", "/metrics"]) {
      const url = `http://127.0.0.1:${daemon.port}${path}`;
      for (const method of ["POST", "PUT", "DELETE"]) {
        const response = await fetch(url, { method });
        expect(response.status, `${method} ${path}`).toBe(405);
        expect(response.headers.get("allow")).toBe("GET, HEAD");
      }
      expect((await fetch(url, { method: "HEAD" })).status, `HEAD ${path}`).toBe(200);
    }
  });

  it("reports 503 when the newest backup is older than BACKUP_MAX_AGE", async () => {
    seedDatabase(backup.ws.db, 10);
    backupAged(2 * 3_600_000);
    // A yearly schedule: the old backup still covers the last slot, so nothing catches up.
    const daemon = await backup.startDaemon({
      ...backup.ws.env,
      BACKUP_SCHEDULE: "0 3 1 1 *",
      BACKUP_MAX_AGE: "1h",
    });
    const response = await daemon.get("/health");
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body).problems).toEqual([
      // The age and the limit, each named as what it is.
      expect.stringMatching(
        /^the newest verified backup is 2h 0m old, older than BACKUP_MAX_AGE \(1h\)$/,
      ),
    ]);
    expect(backups()).toHaveLength(1);
  });

  it("runs at nice 10 or lower priority, so the app's writers come first", async () => {
    seedDatabase(backup.ws.db, 10);
    const daemon = await backup.startDaemon(backup.ws.env);
    await daemon.waitForLine((line) => String(line.msg).startsWith("backup run"));
    const stat = readFileSync(`/proc/${daemon.child.pid}/stat`, "utf8");
    // Field 19 of /proc/<pid>/stat, counted after the command name in parentheses.
    const nice = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    expect(nice).toBeGreaterThanOrEqual(10);
  });

  it("catches up a missed run on start, then reports healthy", async () => {
    seedDatabase(backup.ws.db, 10);
    const old = backupAged(3 * 86_400_000);
    const daemon = await backup.startDaemon(backup.ws.env);
    const caughtUp = await daemon.waitForLine((line) => line.msg === "catching up a missed backup");
    expect(caughtUp.reason).toBe("start");
    const record = await daemon.waitForLine((line) => String(line.msg).startsWith("backup run"));
    expect(record.outcome).toBe("ok");
    await healthBecomes(200);
    expect(backups().sort()).toEqual([old, String(record.file)].sort());
  });

  it("stops on SIGTERM with exit 0, aborting a backup past the grace period and leaving no temporary files", async () => {
    seedDatabase(backup.ws.db, 60_000, 400);
    // No backup yet: the daemon starts one at once.
    const daemon = await backup.startDaemon({ ...backup.ws.env, BACKUP_GRACE: "1ms" });
    await daemon.waitForLine((line) => line.msg === "backup starting");
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    expect(daemon.lines.some((line) => line.msg === "daemon stopped")).toBe(true);
    // Either the backup was aborted (the usual case) or it beat the signal; both are recorded.
    const record = daemon.lines.find((line) => String(line.msg).startsWith("backup run"));
    expect(record?.outcome === "ok" || record?.error === "the daemon was stopped (SIGTERM)").toBe(
      true,
    );
    expect(readdirSync(backup.ws.dir).filter((file) => file.startsWith(TEMP_PREFIX))).toEqual([]);
    expect(existsSync(join(backup.ws.dir, ".guardrail-backup.lock"))).toBe(false);
  });

  it("removes a crashed run's leftovers when it starts", async () => {
    seedDatabase(backup.ws.db, 10);
    const good = backupAged(60_000);
    writeFileSync(join(backup.ws.dir, `${TEMP_PREFIX}tasks-123.sqlite3`), "half a snapshot");
    // A manifest published without its backup (a crash between the two links in publish.ts).
    const lost = formatBackupName("tasks", new Date("2026-01-01T03:00:00Z"));
    const orphan = manifestNameFor(lost);
    const manifest = JSON.parse(
      readFileSync(join(backup.ws.dir, manifestNameFor(good)), "utf8"),
    ) as object;
    writeFileSync(join(backup.ws.dir, orphan), JSON.stringify({ ...manifest, file: lost }));
    writeFileSync(join(backup.ws.dir, "notes.txt"), "not ours");
    const daemon = await backup.startDaemon(backup.ws.env);
    const removed = await daemon.waitForLine(
      (line) => line.msg === "leftovers of an earlier run removed",
    );
    expect(removed.files).toEqual(
      expect.arrayContaining([`${TEMP_PREFIX}tasks-123.sqlite3`, orphan]),
    );
    expect(readdirSync(backup.ws.dir).sort()).toEqual(
      ["backup.log", good, manifestNameFor(good), "notes.txt"].sort(),
    );
  });
});
