import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dir, type DirectoryResult } from "tmp-promise";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import { DirTarget } from "../../daemon/replica-dir.js";
import { SshTarget, type SshSettings } from "../../daemon/replica-ssh.js";
import { parseReplicaSpecs } from "../../daemon/replica-target.js";
import { replicate, type ReplicateOptions } from "../../daemon/replica.js";
import { createLogger } from "../../shared/log.js";
import { createTasksDatabase, writeBackup } from "../support/backup-fixture.js";
import { startSshd, type TestSshd } from "../support/sshd.js";

const log = createLogger({ level: "silent" });
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const day = (n: number) => new Date(Date.UTC(2026, 10, n, 3, 0));

let sshd: TestSshd;
let tmp: DirectoryResult;
let local: string;
let db: string;

beforeAll(async () => (sshd = await startSshd()));
afterAll(async () => sshd?.stop());
beforeEach(async () => {
  tmp = await dir({ unsafeCleanup: true });
  local = join(tmp.path, "backups");
  mkdirSync(local);
  db = join(tmp.path, "tasks.db");
});
afterEach(async () => tmp.cleanup());

function ssh(path: string, settings: Partial<SshSettings> = {}): SshTarget {
  return new SshTarget(
    `ssh://${sshd.user}@127.0.0.1:${sshd.port}${path}`,
    { user: sshd.user, host: "127.0.0.1", port: sshd.port, path },
    { keyFile: sshd.keyFile, knownHostsFile: sshd.knownHostsFile, timeoutMs: 30_000, ...settings },
  );
}

function options(targets: ReplicateOptions["targets"]): ReplicateOptions {
  const keep = { daily: 3, weekly: 0, monthly: 0 };
  return { targets, dir: local, db, keep, timeZone: "UTC", logger: log };
}

/** Five daily backups, days 1..5; day 5's manifest is missing, so day 4 is the newest verified. */
function fiveBackups() {
  const backups = [1, 2, 3, 4, 5].map((n) => {
    createTasksDatabase(db, n);
    return writeBackup(db, local, day(n));
  });
  rmSync(backups[4]!.manifestPath);
  return backups;
}

function folder(path: string): string[] {
  return readdirSync(path).sort();
}

describe("replication", () => {
  it("copies the verified backups the rule keeps to a folder and an SSH target, checked and renamed", async () => {
    const backups = fiveBackups();
    const disk = join(tmp.path, "second-disk");
    const remote = join(sshd.dir, `remote-${Date.now()}`);
    mkdirSync(disk);
    mkdirSync(remote);

    const outcomes = await replicate(options([new DirTarget(disk, disk), ssh(remote)]));

    expect(outcomes.map((o) => [o.ok, o.error])).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
    // Day 5 is unverified (no manifest): kept locally, never copied; days 2..4 are the last 3 days.
    const expected = [2, 3, 4].flatMap((n) => {
      const b = backups[n - 1]!;
      return [b.file, b.file.replace(".sqlite3.gz", ".json")];
    });
    for (const target of [disk, remote]) {
      expect(folder(target)).toEqual(expected.sort());
      for (const n of [2, 3, 4]) {
        const b = backups[n - 1]!;
        expect(sha(join(target, b.file))).toBe(b.manifest.compressed.sha256);
        expect(readFileSync(join(target, b.file.replace(".sqlite3.gz", ".json")), "utf8")).toBe(
          readFileSync(b.manifestPath, "utf8"),
        );
      }
    }
    expect(outcomes[1]!.copied).toEqual([4, 3, 2].map((n) => backups[n - 1]!.file));

    // A second run has nothing to copy.
    const again = await replicate(options([new DirTarget(disk, disk), ssh(remote)]));
    expect(again.map((o) => o.copied)).toEqual([[], []]);
  });

  it("applies the retention rule on the target and leaves other files alone", async () => {
    const remote = join(sshd.dir, `remote-retention-${Date.now()}`);
    mkdirSync(remote);
    createTasksDatabase(db, 1);
    // Old copies on the target (days 1..3), a leftover temp file, a stranger's file and a
    // backup of another database.
    for (const n of [1, 2, 3]) writeBackup(db, remote, day(n));
    writeFileSync(join(remote, ".guardrail-tmp-tasks-20261103-0300.sqlite3.gz"), "half");
    writeFileSync(join(remote, "notes.txt"), "mine");
    const other = join(tmp.path, "notes.db");
    createTasksDatabase(other, 1);
    const notes = writeBackup(other, remote, day(1));
    for (const n of [4, 5]) writeBackup(db, local, day(n));

    const [outcome] = await replicate(options([ssh(remote)]));

    expect(outcome!.ok).toBe(true);
    expect(outcome!.removed).toEqual([
      "tasks-20261101-0300.sqlite3.gz",
      "tasks-20261101-0300.json",
      "tasks-20261102-0300.sqlite3.gz",
      "tasks-20261102-0300.json",
    ]);
    expect(folder(remote)).toEqual(
      [
        "notes.txt",
        notes.file,
        notes.file.replace(".sqlite3.gz", ".json"),
        ...[3, 4, 5].flatMap((n) => [
          `tasks-2026110${n}-0300.sqlite3.gz`,
          `tasks-2026110${n}-0300.json`,
        ]),
      ].sort(),
    );
  });

  it("reports a failing target without stopping the others, and catches it up on the next run", async () => {
    fiveBackups();
    const missing = join(tmp.path, "nas-not-mounted");
    const disk = join(tmp.path, "second-disk");
    mkdirSync(disk);

    const first = await replicate(
      options([new DirTarget(missing, missing), new DirTarget(disk, disk)]),
    );
    expect(first[0]).toMatchObject({ ok: false, copied: [] });
    expect(first[0]!.error).toMatch(/replica folder .*nas-not-mounted does not exist/);
    expect(first[1]).toMatchObject({ ok: true });
    expect(existsSync(missing)).toBe(false);
    expect(folder(local)).toHaveLength(9);

    mkdirSync(missing);
    const second = await replicate(
      options([new DirTarget(missing, missing), new DirTarget(disk, disk)]),
    );
    expect(second[0]).toMatchObject({ ok: true });
    expect(second[0]!.copied).toHaveLength(3);
    expect(folder(missing)).toEqual(folder(disk));
  });

  it("stops before the next copy when the run is aborted, and reports the target as failed", async () => {
    fiveBackups();
    const disk = join(tmp.path, "second-disk");
    mkdirSync(disk);
    const signal = AbortSignal.abort(new Error("the daemon was stopped (SIGTERM)"));
    const [outcome] = await replicate({ ...options([new DirTarget(disk, disk)]), signal });
    expect(outcome).toMatchObject({
      ok: false,
      copied: [],
      error: "the daemon was stopped (SIGTERM)",
    });
    expect(folder(disk)).toEqual([]);
  });

  it("refuses an SSH server whose host key is not the pinned one", async () => {
    fiveBackups();
    const remote = join(sshd.dir, `remote-hostkey-${Date.now()}`);
    mkdirSync(remote);
    const wrongHosts = join(tmp.path, "known_hosts");
    writeFileSync(
      wrongHosts,
      readFileSync(sshd.knownHostsFile, "utf8").replace(
        /ssh-ed25519 \S+/,
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIC2XI7dWHwAzAPHmzmqyV4RBm0A3Ya2d9z2ZqKZ6cYsx",
      ),
    );

    const [outcome] = await replicate(options([ssh(remote, { knownHostsFile: wrongHosts })]));

    expect(outcome!.ok).toBe(false);
    expect(outcome!.error).toMatch(/ssh to ssh:\/\/.* failed: .*host key/i);
    expect(folder(remote)).toEqual([]);
  });

  it("reports an SSH target that refuses the key or has no such folder", async () => {
    fiveBackups();
    const [noFolder] = await replicate(options([ssh(join(sshd.dir, "no-such-folder"))]));
    expect(noFolder!.ok).toBe(false);
    expect(noFolder!.error).toMatch(/no-such-folder/);

    const stranger = join(tmp.path, "stranger");
    const { execFileSync } = await import("node:child_process");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger]);
    const [badKey] = await replicate(options([ssh(sshd.dir, { keyFile: stranger })]));
    expect(badKey!.ok).toBe(false);
    expect(badKey!.error).toMatch(/Permission denied/);
  });
});

describe("BACKUP_REPLICA", () => {
  it("accepts absolute folders and ssh URLs with or without a port", () => {
    const { specs, problems } = parseReplicaSpecs(
      "/mnt/nas/backups, ssh://backup@db2.example.org/srv/backups/,ssh://u@[::1]:2222/b",
    );
    expect(problems).toEqual([]);
    expect(specs).toEqual([
      { kind: "dir", label: "/mnt/nas/backups", path: "/mnt/nas/backups" },
      {
        kind: "ssh",
        label: "ssh://backup@db2.example.org/srv/backups",
        user: "backup",
        host: "db2.example.org",
        port: 22,
        path: "/srv/backups/",
      },
      {
        kind: "ssh",
        label: "ssh://u@[::1]:2222/b",
        user: "u",
        host: "::1",
        port: 2222,
        path: "/b",
      },
    ]);
  });

  it("names the variable and each bad entry", () => {
    const { problems } = parseReplicaSpecs("backups,ssh://host/path,ssh://u:pw@h/p,/a,/a/");
    expect(problems).toEqual([
      'BACKUP_REPLICA: "backups" is neither an absolute folder nor ssh://user@host[:port]/path',
      'BACKUP_REPLICA: "ssh://host/path" is not ssh://user@host[:port]/absolute/path',
      'BACKUP_REPLICA: "ssh://u:pw@h/p" is not ssh://user@host[:port]/absolute/path',
      'BACKUP_REPLICA: "/a" is listed twice',
    ]);
  });
});
