// An SSH replica that drops mid-transfer, with a real sshd: while rsync writes a large backup on
// the far side, the sshd session and the far rsync are killed with SIGKILL (a dropped link or a
// crashed server). No file may appear there under a final name unless complete and verified, the
// target must be reported failing, and the next run must clean up and copy the backup.
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dir, type DirectoryResult } from "tmp-promise";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import {
  formatBackupName,
  manifestNameFor,
  TEMP_PREFIX,
  type Manifest,
} from "../../daemon/manifest.js";
import { SshTarget } from "../../daemon/replica-ssh.js";
import { replicate, type ReplicateOptions } from "../../daemon/replica.js";
import { createLogger } from "../../shared/log.js";
import { isAlive } from "../support/processes.js";
import { startSshd, type TestSshd } from "../support/sshd.js";

const sha = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

let sshd: TestSshd;
let tmp: DirectoryResult;
beforeAll(async () => (sshd = await startSshd()));
afterAll(async () => sshd?.stop());
beforeEach(async () => (tmp = await dir({ unsafeCleanup: true })));
afterEach(async () => tmp.cleanup());

/** A verified backup of incompressible bytes, large enough that rsync takes a moment. */
function placeLargeBackup(folder: string, time: Date, megabytes: number) {
  const bytes = randomBytes(megabytes << 20);
  const file = formatBackupName("tasks", time);
  const manifest: Manifest = {
    format: 1,
    file,
    database: { path: "/app/data/tasks.db", name: "tasks" },
    createdAt: time.toISOString(),
    sqlite: { pageSize: 4096, pageCount: 1, userVersion: 0, version: "3" },
    tables: {},
    check: { kind: "quick", result: "ok" },
    uncompressed: { bytes: bytes.length, sha256: sha(bytes) },
    compressed: { bytes: bytes.length, sha256: sha(bytes) },
    gzipLevel: 3,
    timings: {},
    host: "test",
    guardrailVersion: "test",
  };
  writeFileSync(join(folder, file), bytes, { mode: 0o600 });
  writeFileSync(join(folder, manifestNameFor(file)), JSON.stringify(manifest));
  return { file, sha256: sha(bytes) };
}

/** Pids of every process below `root` (children, grandchildren, ...). */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  const found: number[] = [];
  let frontier = [root];
  while (frontier.length > 0) {
    const children = [...parent].filter(([, ppid]) => frontier.includes(ppid)).map(([p]) => p);
    found.push(...children);
    frontier = children;
  }
  return found;
}

/** The pid of this test's sshd listener (its config file is in its own folder). */
function sshdPid(): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes(join(sshd.dir, "sshd_config"))) return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  throw new Error("the test's sshd is not running");
}

it("leaves no partial file under a final name when the SSH session dies mid-transfer, reports the target failing, and copies the backup on the next run", async () => {
  const local = join(tmp.path, "backups");
  const remote = join(sshd.dir, `remote-drop-${Date.now()}`);
  mkdirSync(local);
  mkdirSync(remote);
  const older = placeLargeBackup(local, new Date("2026-11-01T03:00:00Z"), 1);
  const large = placeLargeBackup(local, new Date("2026-11-02T03:00:00Z"), 40);
  const target = new SshTarget(
    "far",
    { user: sshd.user, host: "127.0.0.1", port: sshd.port, path: remote },
    { keyFile: sshd.keyFile, knownHostsFile: sshd.knownHostsFile, timeoutMs: 60_000 },
  );
  const options: ReplicateOptions = {
    targets: [target],
    dir: local,
    db: "/app/data/tasks.db",
    keep: { daily: 7, weekly: 0, monthly: 0 },
    timeZone: "UTC",
    logger: createLogger({ level: "silent" }),
  };

  // Newest first: the large backup is the first transfer. Cut it once rsync has written some.
  const master = sshdPid();
  let settled = false;
  const running = replicate(options).finally(() => (settled = true));
  let killed: number[] = [];
  while (killed.length === 0 && !settled) {
    const partial = readdirSync(remote).find((name) => name.includes(large.file));
    if (partial && statSync(join(remote, partial), { throwIfNoEntry: false })?.size) {
      killed = descendants(master);
      for (const pid of killed) process.kill(pid, "SIGKILL");
    } else {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  const [failed] = await running;
  expect(killed.length, "the transfer ended before it could be cut").toBeGreaterThan(0);

  expect(failed).toMatchObject({ target: "far", ok: false, copied: [] });
  expect(failed!.error).toMatch(/^rsync to far failed/);
  // SIGKILL is not instant for a process inside a write on a busy disk: give them a moment.
  for (let waited = 0; waited < 10_000 && killed.some(isAlive); waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(killed.filter(isAlive)).toEqual([]);
  // At most rsync's partial file is left (when rsync died before cleaning up), under the
  // temporary prefix, which the next run removes; nothing under a final name.
  const afterDrop = readdirSync(remote);
  for (const name of afterDrop) expect(name.startsWith(`${TEMP_PREFIX}${large.file}`)).toBe(true);

  const [again] = await replicate(options);
  expect(again).toMatchObject({ ok: true, copied: [large.file, older.file] });
  expect(readdirSync(remote).sort()).toEqual(
    [large.file, manifestNameFor(large.file), older.file, manifestNameFor(older.file)].sort(),
  );
  expect(sha(readFileSync(join(remote, large.file)))).toBe(large.sha256);
  expect(sha(readFileSync(join(remote, older.file)))).toBe(older.sha256);
});
