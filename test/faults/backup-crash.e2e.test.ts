// The sidecar killed without warning (SIGKILL: a power cut, the OOM killer) in each phase of a
// backup, under umask 000 and with the app writing. Phases are seen from outside where they last
// long enough (temporary files, debug log lines); publishing takes a few system calls, so there
// the process stops itself at a test-only failpoint (daemon/failpoint.ts) and is killed there.
import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LOCK_FILE } from "../../daemon/lock.js";
import { runCli, seedDatabase, startWriter, type Writer } from "../support/backup-env.js";
import {
  expectOnlyVerifiedBackups,
  finalNames,
  hashFinalFiles,
  isStopped,
  spawnCli,
  temporaryNames,
  waitFor,
  type CliChild,
} from "../support/backup-faults.js";
import { processesUsing } from "../support/processes.js";
import { useBackupEnv } from "../support/use-backup-env.js";

const backup = useBackupEnv();

let writer: Writer | undefined;

afterEach(async () => {
  await writer?.stop();
  writer = undefined;
});

const finished = (run: CliChild, step: string) =>
  run.lines.some((line) => line.msg === "step finished" && line.step === step);

/** How to reach each phase: when to kill, and a check that the kill landed in that phase. */
const phases = {
  snapshot: {
    reached: () =>
      temporaryNames(backup.ws.dir).some((file) => /\.sqlite3$/.test(file) && size(file) > 0),
    landed: (run: CliChild) => !finished(run, "snapshot"),
  },
  "quick check": {
    reached: (run: CliChild) => finished(run, "snapshot"),
    landed: (run: CliChild) => finished(run, "snapshot") && !finished(run, "verify"),
  },
  compression: {
    reached: () =>
      temporaryNames(backup.ws.dir).some((file) => file.endsWith(".gz") && size(file) > 0),
    landed: (run: CliChild) => !finished(run, "compress"),
  },
} as const;

function size(file: string): number {
  try {
    return statSync(join(backup.ws.dir, file)).size;
  } catch {
    return 0;
  }
}

/** An older backup of a small database, then the database grown so that a run takes a while. */
async function olderBackupThenGrow(): Promise<Record<string, string>> {
  seedDatabase(backup.ws.db, 100);
  const older = runCli(["once"], backup.ws.env);
  expect(older.status, older.stderr).toBe(0);
  seedDatabase(backup.ws.db, 60_000, 400);
  writer = await startWriter(backup.ws.db, "continuous", 5);
  return hashFinalFiles(backup.ws.dir);
}

/** Leftovers of the killed run, its lock included, are 0600 although it had umask 000. */
function expectPrivateLeftovers() {
  expect(temporaryNames(backup.ws.dir).length).toBeGreaterThan(0);
  for (const file of [...temporaryNames(backup.ws.dir), LOCK_FILE]) {
    expect((statSync(join(backup.ws.dir, file)).mode & 0o777).toString(8), file).toBe("600");
  }
}

/** The next run removes the leftovers and succeeds; the older backup is untouched. */
async function expectNextRunRecovers(older: Record<string, string>) {
  expect(processesUsing(backup.ws.dir)).toEqual([]);
  const next = runCli(["once", "--no-prune"], backup.ws.env);
  expect(next.status, next.stderr).toBe(0);
  expect(next.stdout).toContain("leftovers of an earlier run removed");
  expect(temporaryNames(backup.ws.dir)).toEqual([]);
  expect(statSync(backup.ws.dir).isDirectory()).toBe(true);
  expect(() => statSync(join(backup.ws.dir, LOCK_FILE))).toThrow();
  const backups = await expectOnlyVerifiedBackups(backup.ws.dir);
  expect(backups.length).toBeGreaterThanOrEqual(2);
  const after = hashFinalFiles(backup.ws.dir);
  for (const [file, hash] of Object.entries(older)) expect(after[file], file).toBe(hash);
  return next.stdout;
}

describe("the sidecar killed with SIGKILL mid-backup", () => {
  for (const [phase, how] of Object.entries(phases)) {
    it(`during the ${phase}: no file under a final name that is not complete and verified, older backups byte-identical, leftovers 0600, and the next run cleans up and succeeds`, async () => {
      const older = await olderBackupThenGrow();
      const run = spawnCli(["once"], { ...backup.ws.env, LOG_LEVEL: "debug" }, { umask: "000" });
      await waitFor(
        () => how.reached(run),
        () => run.child.exitCode === null,
        `the ${phase}`,
      );
      run.child.kill("SIGKILL");
      expect(await run.exited).toBe("SIGKILL");
      expect(how.landed(run), `the kill landed after the ${phase}`).toBe(true);

      expect(finalNames(backup.ws.dir)).toEqual(Object.keys(older).sort());
      expect(temporaryNames(backup.ws.dir).length).toBeGreaterThan(0);
      expectPrivateLeftovers();
      await expectNextRunRecovers(older);
    });
  }

  it("while publishing, before the manifest is linked: nothing new under a final name, and the next run cleans up", async () => {
    const older = await olderBackupThenGrow();
    const run = await stoppedAt("publish:manifest-written");
    run.child.kill("SIGKILL");
    expect(await run.exited).toBe("SIGKILL");

    expect(finalNames(backup.ws.dir)).toEqual(Object.keys(older).sort());
    expect(temporaryNames(backup.ws.dir).some((file) => file.endsWith(".json"))).toBe(true);
    expectPrivateLeftovers();
    await expectNextRunRecovers(older);
  });

  it("while publishing, between the manifest and the backup: only a lone manifest, which no listing counts and the next run removes", async () => {
    const older = await olderBackupThenGrow();
    const run = await stoppedAt("publish:manifest-linked");
    run.child.kill("SIGKILL");
    expect(await run.exited).toBe("SIGKILL");

    const lone = finalNames(backup.ws.dir).filter((file) => !(file in older));
    expect(lone).toHaveLength(1);
    expect(lone[0]).toMatch(/^tasks-\d{8}-\d{4}(-\d+)?\.json$/);
    const list = runCli(["list"], backup.ws.env);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout.trim().split("\n")).toHaveLength(1);
    expectPrivateLeftovers();

    const removed = (await expectNextRunRecovers(older))
      .split("\n")
      .find((line) => line.includes("leftovers of an earlier run removed"));
    expect(removed).toContain(lone[0]);
  });

  it("while publishing, after both are linked: the new backup is complete and verified, and the next run removes the temporary name", async () => {
    const older = await olderBackupThenGrow();
    const run = await stoppedAt("publish:linked");
    run.child.kill("SIGKILL");
    expect(await run.exited).toBe("SIGKILL");
    // A failpoint that leaked into a deployment would show in its log at every run.
    expect(run.lines.map((line) => line.msg)).toContain(
      "test-only GUARDRAIL_TEST_STOP_AT is set: this process will stop itself there; unset it",
    );

    expect(await expectOnlyVerifiedBackups(backup.ws.dir)).toHaveLength(2);
    expect(temporaryNames(backup.ws.dir).some((file) => file.endsWith(".gz"))).toBe(true);
    expectPrivateLeftovers();
    await expectNextRunRecovers(older);
    expect(await expectOnlyVerifiedBackups(backup.ws.dir)).toHaveLength(3);
  });
});

/** Starts `once` with the failpoint set and waits until the process has stopped itself there. */
async function stoppedAt(point: string): Promise<CliChild> {
  const run = spawnCli(
    ["once"],
    { ...backup.ws.env, GUARDRAIL_TEST_STOP_AT: point },
    { umask: "000" },
  );
  await waitFor(
    () => isStopped(run.child.pid!),
    () => run.child.exitCode === null,
    `the failpoint ${point}`,
  );
  return run;
}
