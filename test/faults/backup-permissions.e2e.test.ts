// Backups hold the app's data: every file the sidecar writes is 0600 from the moment it exists,
// and every folder it creates is 0700, even under umask 000. Files are polled (every ~1 ms)
// while the run writes them, so a file made with a looser mode and fixed later would most likely
// be seen; the code opens them with mode 0600, which the poll cannot prove on its own.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LOCK_FILE } from "../../daemon/lock.js";
import { LOG_FILE } from "../../daemon/record.js";
import { seedDatabase } from "../support/backup-env.js";
import { expectOnlyVerifiedBackups, spawnCli, waitFor } from "../support/backup-faults.js";
import { useBackupEnv } from "../support/use-backup-env.js";

const backup = useBackupEnv();

/** Every mode seen for each name in `dir` until `stop` is called, polled every millisecond. */
function watchModes(dir: string) {
  const seen = new Map<string, Set<string>>();
  const look = () => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      try {
        const mode = (statSync(join(dir, name)).mode & 0o777).toString(8);
        seen.set(name, (seen.get(name) ?? new Set()).add(mode));
      } catch {
        // Removed meanwhile.
      }
    }
  };
  const timer = setInterval(look, 1);
  return {
    stop: () => {
      clearInterval(timer);
      look();
      return seen;
    },
  };
}

describe("file modes under umask 000", () => {
  it("`once` creates missing folders 0700, and its temporary files, lock, backup, manifest and log are 0600 from creation", async () => {
    seedDatabase(backup.ws.db, 60_000, 400);
    const dir = join(backup.ws.tmp.path, "made", "by-sidecar");
    const watcher = watchModes(dir);
    const run = spawnCli(["once"], { ...backup.ws.env, BACKUP_DIR: dir }, { umask: "000" });
    expect(await run.exited, run.stderr()).toBe(0);
    const seen = watcher.stop();

    for (const folder of [join(backup.ws.tmp.path, "made"), dir]) {
      expect((statSync(folder).mode & 0o777).toString(8), folder).toBe("700");
    }
    const names = [...seen.keys()];
    // The run was watched while it wrote: its temporary files and lock were seen.
    expect(names.some((name) => name.startsWith(".guardrail-tmp-"))).toBe(true);
    expect(names).toContain(LOCK_FILE);
    expect(names).toContain(LOG_FILE);
    for (const [name, modes] of seen) expect([...modes], name).toEqual(["600"]);
    const [newest] = await expectOnlyVerifiedBackups(dir);
    expect(names).toContain(newest);
  });

  it("the daemon writes its backups, manifests and log 0600 as well", async () => {
    seedDatabase(backup.ws.db, 1000);
    const watcher = watchModes(backup.ws.dir);
    const daemon = spawnCli(
      ["run"],
      { ...backup.ws.env, BACKUP_PORT: "0", BACKUP_SCHEDULE: "0 3 * * *" },
      { umask: "000" },
    );
    // No backup yet: it catches up at start.
    await waitFor(
      () => daemon.lines.some((line) => line.msg === "backup run finished"),
      () => daemon.child.exitCode === null,
      "the first backup",
    );
    daemon.child.kill("SIGTERM");
    expect(await daemon.exited).toBe(0);
    const seen = watcher.stop();

    const [newest] = await expectOnlyVerifiedBackups(backup.ws.dir);
    const final = readdirSync(backup.ws.dir);
    expect(final).toEqual(expect.arrayContaining([newest!, LOG_FILE]));
    for (const [name, modes] of seen) expect([...modes], name).toEqual(["600"]);
    for (const name of final) {
      expect((statSync(join(backup.ws.dir, name)).mode & 0o777).toString(8), name).toBe("600");
    }
  });
});
