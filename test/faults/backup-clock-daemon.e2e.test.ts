// The real daemon under libfaketime, its clock set back a day and forward again while it runs
// (FAKETIME_TIMESTAMP_FILE, re-read on every call): a backup in a minute whose name is taken gets
// the next sequence number instead of replacing it, and retention afterwards keeps the newest
// verified backup and one per day. Timers stay on the real monotonic clock.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { manifestNameFor } from "../../daemon/manifest.js";
import { runCli, seedDatabase } from "../support/backup-env.js";

const LIBFAKETIME = ["x86_64", "aarch64"]
  .map((arch) => `/usr/lib/${arch}-linux-gnu/faketime/libfaketime.so.1`)
  .find((path) => existsSync(path));
import { useBackupEnv } from "../support/use-backup-env.js";

const backup = useBackupEnv({ seedRows: 30 });

it("gives a backup taken after the clock went back and forth a new sequence number, clobbers nothing, and prunes sanely", async () => {
  if (!LIBFAKETIME)
    throw new Error("libfaketime not found: apt-get install faketime (.ci/run does)");
  const clock = join(backup.ws.tmp.path, "faketime");
  const setClock = (time: string) => writeFileSync(clock, `@${time}\n`);
  setClock("2026-06-12 10:00:00");
  const daemon = await backup.startDaemon({
    ...backup.ws.env,
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: clock,
    FAKETIME_NO_CACHE: "1",
    FAKETIME_DONT_FAKE_MONOTONIC: "1",
  });
  const finished = (n: number) =>
    daemon.waitForLine(
      (line) =>
        line.msg === "backup run finished" &&
        daemon.lines.filter((l) => l.msg === "backup run finished").length >= n,
    );

  const first = String((await finished(1)).file);
  expect(first).toBe("tasks-20260612-1000.sqlite3.gz");
  const firstSha = sha(join(backup.ws.dir, first));

  setClock("2026-06-11 10:00:00"); // a day back
  daemon.child.kill("SIGUSR1");
  expect((await finished(2)).file).toBe("tasks-20260611-1000.sqlite3.gz");
  // Still there and unchanged: the older-named backup sorted before it, nothing was pruned.
  expect(sha(join(backup.ws.dir, first))).toBe(firstSha);

  seedDatabase(backup.ws.db, 5); // new rows, so the third backup's bytes differ from the first's
  setClock("2026-06-12 10:00:10"); // forward again, into the minute of the first backup
  daemon.child.kill("SIGUSR1");
  const third = await finished(3);
  expect(third.file).toBe("tasks-20260612-1000-2.sqlite3.gz");
  const manifest = JSON.parse(
    readFileSync(join(backup.ws.dir, manifestNameFor(String(third.file))), "utf8"),
  ) as { createdAt: string; compressed: { sha256: string } };
  expect(manifest.compressed.sha256).not.toBe(firstSha);
  expect(manifest.createdAt >= "2026-06-12T10:00:10").toBe(true);

  // One per day, the newest of 12 June being the -2; the first 10:00 went by the rule.
  const pruned = await daemon.waitForLine((line) => line.msg === "backup pruned");
  expect(pruned.file).toBe(first);
  expect(readdirSync(backup.ws.dir).sort()).toEqual(
    [
      "backup.log",
      "tasks-20260611-1000.json",
      "tasks-20260611-1000.sqlite3.gz",
      "tasks-20260612-1000-2.json",
      "tasks-20260612-1000-2.sqlite3.gz",
    ].sort(),
  );
  for (const file of ["tasks-20260611-1000.sqlite3.gz", "tasks-20260612-1000-2.sqlite3.gz"]) {
    expect(runCli(["verify", join(backup.ws.dir, file)], backup.ws.env).status).toBe(0);
  }
  const health = await daemon.get("/health");
  expect(health.status).toBe(200);
  expect((JSON.parse(health.body) as { lastGoodBackup: string }).lastGoodBackup).toBe(
    manifest.createdAt,
  );
  daemon.child.kill("SIGTERM");
  expect(await daemon.exited).toBe(0);
});

function sha(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}
