// The backup folder gone wrong: read-only (as an ordinary user: root ignores modes), missing,
// or holding files that are not ours; and two daemons pointed at it. Older backups stay
// byte-identical, foreign files are never touched, and no two runs ever write at once.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  lstatSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../../daemon/lock.js";
import { TEMP_PREFIX } from "../../daemon/manifest.js";
import { runCli, seedDatabase } from "../support/backup-env.js";
import {
  expectOnlyVerifiedBackups,
  hashFinalFiles,
  spawnCli,
  temporaryNames,
  waitFor,
  type CliChild,
} from "../support/backup-faults.js";
import { processesUsing } from "../support/processes.js";
import { asTestUser, chownToTestUser, TEST_UID } from "../support/unprivileged.js";
import { useBackupEnv } from "../support/use-backup-env.js";

const backup = useBackupEnv();

const daemons: CliChild[] = [];

afterEach(async () => {
  for (const daemon of daemons.splice(0)) {
    if (daemon.child.exitCode === null) daemon.child.kill("SIGKILL");
    await daemon.exited;
  }
});

/** Starts `run` (optionally as the test user) and waits until /health listens. */
async function startDaemon(env: Record<string, string>, asUser = false) {
  const daemon = spawnCli(
    ["run"],
    { BACKUP_PORT: "0", BACKUP_SCHEDULE: "0 3 * * *", ...env },
    { prefix: asUser ? asTestUser([]) : [] },
  );
  daemons.push(daemon);
  const alive = () => daemon.child.exitCode === null;
  const line = (msg: string, from = 0) => daemon.lines.slice(from).find((l) => l.msg === msg);
  await waitFor(() => line("daemon started") !== undefined, alive, "the daemon started");
  const port = Number(line("daemon started")!.port);
  // An answer from /health means the start-up code, signal handlers included, has run: before
  // that, SIGUSR1 would reach Node's default handler (the inspector), not the daemon's.
  await fetch(`http://127.0.0.1:${port}/health`).then((response) => response.body?.cancel());
  /** Waits for the next run record after line `from` (finished, failed or skipped). */
  const nextRun = async (from: number) => {
    const isRun = (l: Record<string, unknown>) => String(l.msg).startsWith("backup run ");
    await waitFor(() => daemon.lines.slice(from).some(isRun), alive, "a backup run");
    return daemon.lines.slice(from).find(isRun)!;
  };
  return {
    ...daemon,
    nextRun,
    /** Asks for a backup now (SIGUSR1) and returns that run's record. */
    backUpNow: () => {
      const from = daemon.lines.length;
      daemon.child.kill("SIGUSR1");
      return nextRun(from);
    },
    health: async () => {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      return { status: response.status, body: await response.text() };
    },
  };
}

describe("a read-only backup folder (as an ordinary user)", () => {
  it("at start: `once` exits 2 naming BACKUP_DIR and the user, and the older backup stays byte-identical", () => {
    seedDatabase(backup.ws.db, 100);
    expect(runCli(["once"], backup.ws.env).status).toBe(0);
    const older = hashFinalFiles(backup.ws.dir);
    chownToTestUser(backup.ws.tmp.path);
    chmodSync(backup.ws.dir, 0o500);

    const result = spawnSyncAsTestUser(["once"]);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain(
      `BACKUP_DIR: ${backup.ws.dir} is not writable by this user (uid ${TEST_UID})`,
    );
    expect(hashFinalFiles(backup.ws.dir)).toEqual(older);
  });

  it("while the daemon runs: the run fails naming BACKUP_DIR, /health is 503, older backups stay; once writable again the next run succeeds", async () => {
    seedDatabase(backup.ws.db, 100);
    chownToTestUser(backup.ws.tmp.path);
    const daemon = await startDaemon(backup.ws.env, true);
    expect((await daemon.nextRun(0)).msg).toBe("backup run finished");
    const older = hashFinalFiles(backup.ws.dir);

    chmodSync(backup.ws.dir, 0o500);
    const failed = await daemon.backUpNow();
    expect(failed.msg).toBe("backup run failed");
    expect(failed.error).toContain(`BACKUP_DIR (${backup.ws.dir}) is not writable by this user`);
    expect((await daemon.health()).status).toBe(503);
    expect(hashFinalFiles(backup.ws.dir)).toEqual(older);

    chmodSync(backup.ws.dir, 0o700);
    expect((await daemon.backUpNow()).msg).toBe("backup run finished");
    expect((await daemon.health()).status).toBe(200);
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  });
});

describe("a missing backup folder", () => {
  it("gone while the daemon runs (an unmounted volume): the run fails saying so and does not recreate it; back in place, the next run succeeds", async () => {
    seedDatabase(backup.ws.db, 100);
    const daemon = await startDaemon(backup.ws.env);
    expect((await daemon.nextRun(0)).msg).toBe("backup run finished");
    const older = hashFinalFiles(backup.ws.dir);
    const away = `${backup.ws.dir}.away`;
    renameSync(backup.ws.dir, away);

    const failed = await daemon.backUpNow();
    expect(failed.msg).toBe("backup run failed");
    expect(failed.error).toContain(`BACKUP_DIR (${backup.ws.dir}) no longer exists`);
    expect(failed.hint).toContain("is its volume mounted?");
    expect(() => lstatSync(backup.ws.dir)).toThrow();
    expect((await daemon.health()).status).toBe(503);

    renameSync(away, backup.ws.dir);
    expect(hashFinalFiles(backup.ws.dir)).toEqual(older);
    expect((await daemon.backUpNow()).msg).toBe("backup run finished");
    expect((await daemon.health()).status).toBe(200);
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
  });
});

describe("a backup folder holding files that are not ours", () => {
  it("never touches or deletes them, through backups, pruning and a daemon's start-up clean-up", async () => {
    seedDatabase(backup.ws.db, 100);
    const foreign = plantForeignFiles(backup.ws.dir);
    const before = snapshotTree(backup.ws.dir, foreign);
    const env = { ...backup.ws.env, BACKUP_KEEP_DAILY: "1", BACKUP_KEEP_WEEKLY: "0" };

    for (let run = 0; run < 3; run++) {
      const result = runCli(["once"], env);
      expect(result.status, result.stderr).toBe(0);
    }
    const daemon = await startDaemon(env);
    daemon.child.kill("SIGUSR1");
    expect((await daemon.nextRun(0)).msg).toBe("backup run finished");
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    const list = runCli(["list"], env);
    expect(list.status, list.stderr).toBe(0);

    expect(snapshotTree(backup.ws.dir, foreign)).toEqual(before);
    expect(list.stdout).toContain("tasks-20200101-0000.sqlite3.gz");
  });
});

describe("two daemons against the same folder", () => {
  it("serialise: never two runs writing at once, the second says another backup is running, every published backup is verified", async () => {
    seedDatabase(backup.ws.db, 40_000, 400);
    const first = await startDaemon(backup.ws.env);
    const second = await startDaemon(backup.ws.env);
    const writers = watchConcurrentWriters(backup.ws.dir);

    await Promise.all([first.nextRun(0), second.nextRun(0)]);
    const marks = [first.lines.length, second.lines.length];
    first.child.kill("SIGUSR1");
    second.child.kill("SIGUSR1");
    const runs = await Promise.all([first.nextRun(marks[0]!), second.nextRun(marks[1]!)]);
    const seen = writers.stop();

    expect(seen.maxAtOnce).toBe(1);
    expect(seen.pids.size).toBeGreaterThanOrEqual(1);
    const all = [...first.lines, ...second.lines].filter((l) =>
      String(l.msg).startsWith("backup run "),
    );
    for (const run of all) expect(["backup run finished", "backup run skipped"]).toContain(run.msg);
    const skipped = all.filter((run) => run.msg === "backup run skipped");
    // Both daemons catch up at start and both are signalled at once: their runs overlap.
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    for (const run of skipped) expect(run.error).toMatch(/^another backup is running \(pid \d+/);
    expect(runs.some((run) => run.msg === "backup run finished")).toBe(true);

    for (const daemon of [first, second]) daemon.child.kill("SIGTERM");
    expect(await Promise.all([first.exited, second.exited])).toEqual([0, 0]);
    await expectOnlyVerifiedBackups(backup.ws.dir);
    expect(temporaryNames(backup.ws.dir)).toEqual([]);
    expect(readdirSync(backup.ws.dir)).not.toContain(LOCK_FILE);
    expect(processesUsing(backup.ws.dir)).toEqual([]);
  });
});

function spawnSyncAsTestUser(args: string[]) {
  const [command, ...rest] = asTestUser([process.execPath, join("dist/daemon/main.js"), ...args]);
  return spawnSyncText(command!, rest, backup.ws.env);
}

function spawnSyncText(command: string, args: string[], env: Record<string, string>) {
  const result = spawnSync(command, args, {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
  });
  return { status: result.status, stderr: result.stderr };
}

/**
 * Files someone else keeps in the folder: notes, a JSON export and a garbage file named like our
 * backups, another database's backup, a folder and a symlink, even a folder with our temporary
 * prefix. Returns their names.
 */
function plantForeignFiles(dir: string): string[] {
  writeFileSync(join(dir, "notes.txt"), "do not delete\n");
  writeFileSync(join(dir, "export-20250101-1200.json"), '{"orders": 3}\n');
  writeFileSync(join(dir, "tasks-20200101-0000.sqlite3.gz"), "not a gzip at all\n");
  writeFileSync(join(dir, "other-20250101-1200.sqlite3.gz"), "another database's backup\n");
  writeFileSync(join(dir, "other-20250101-1200.json"), '{"format": 1}\n');
  mkdirSync(join(dir, "keep"));
  writeFileSync(join(dir, "keep", "inner.txt"), "inside a folder\n");
  mkdirSync(join(dir, `${TEMP_PREFIX}folder`));
  writeFileSync(join(dir, `${TEMP_PREFIX}folder`, "inner.txt"), "a folder, not our file\n");
  symlinkSync("/etc/hostname", join(dir, "link-to-hostname"));
  return [
    "notes.txt",
    "export-20250101-1200.json",
    "tasks-20200101-0000.sqlite3.gz",
    "other-20250101-1200.sqlite3.gz",
    "other-20250101-1200.json",
    "keep/inner.txt",
    `${TEMP_PREFIX}folder/inner.txt`,
    "link-to-hostname",
  ];
}

/** Content hash (or link target) and mode of each of `files`. */
function snapshotTree(dir: string, files: string[]): Record<string, string> {
  const state: Record<string, string> = {};
  for (const file of files) {
    const path = join(dir, file);
    const info = lstatSync(path);
    state[file] = info.isSymbolicLink()
      ? `-> ${readlinkSync(path)}`
      : `${(info.mode & 0o7777).toString(8)} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
  }
  return state;
}

/** Polls the folder for temporary files and counts how many runs (by pid) write at once. */
function watchConcurrentWriters(dir: string) {
  const pids = new Set<string>();
  let maxAtOnce = 0;
  const timer = setInterval(() => {
    const now = new Set(
      temporaryNames(dir)
        .map((file) => /-(\d+)\.sqlite3/.exec(file)?.[1])
        .filter((pid): pid is string => pid !== undefined),
    );
    for (const pid of now) pids.add(pid);
    maxAtOnce = Math.max(maxAtOnce, now.size);
  }, 1);
  return {
    stop: () => {
      clearInterval(timer);
      return { pids, maxAtOnce };
    },
  };
}
