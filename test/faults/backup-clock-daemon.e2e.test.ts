// The real daemon under libfaketime, its clock set back a day and forward again while it runs
// (FAKETIME_TIMESTAMP_FILE, re-read on every call): a backup's name never sorts before an older
// backup's (after the clock went back it takes the newest backup's minute with the next sequence
// number), nothing is overwritten, and retention keeps the freshest copy. Timers stay on the
// real monotonic clock.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { manifestNameFor } from "../../daemon/manifest.js";
import { runCli, seedDatabase } from "../support/backup-env.js";
import { useBackupEnv } from "../support/use-backup-env.js";

const LIBFAKETIME = ["x86_64", "aarch64"]
  .map((arch) => `/usr/lib/${arch}-linux-gnu/faketime/libfaketime.so.1`)
  .find((path) => existsSync(path));

const backup = useBackupEnv({ seedRows: 30 });

it("names a backup taken after the clock went back after the newest one, clobbers nothing, and keeps the freshest copy", async () => {
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
  const manifestOf = (file: string) =>
    JSON.parse(readFileSync(join(backup.ws.dir, manifestNameFor(file)), "utf8")) as {
      createdAt: string;
      compressed: { sha256: string };
    };

  const first = String((await finished(1)).file);
  expect(first).toBe("tasks-20260612-1000.sqlite3.gz");

  setClock("2026-06-11 10:00:00"); // a day back
  daemon.child.kill("SIGUSR1");
  const second = String((await finished(2)).file);
  expect(second).toBe("tasks-20260612-1000-2.sqlite3.gz");
  expect(
    daemon.lines.some((l) => l.msg === "clock is behind the newest backup: named after it"),
  ).toBe(true);
  const secondManifest = manifestOf(second);
  expect(secondManifest.createdAt.startsWith("2026-06-11T10:00")).toBe(true);
  // One per day: the older copy of 12 June goes, the freshest stays.
  expect((await daemon.waitForLine((l) => l.msg === "backup pruned")).file).toBe(first);

  seedDatabase(backup.ws.db, 5); // new rows, so the third backup's bytes differ
  setClock("2026-06-12 10:00:10"); // forward again, into the minute of the first backup
  daemon.child.kill("SIGUSR1");
  const third = String((await finished(3)).file);
  expect(third).toBe("tasks-20260612-1000-3.sqlite3.gz");
  expect(manifestOf(third).compressed.sha256).not.toBe(secondManifest.compressed.sha256);
  expect(manifestOf(third).createdAt >= "2026-06-12T10:00:10").toBe(true);
  await daemon.waitForLine((l) => l.msg === "backup pruned" && l.file === second);

  expect(readdirSync(backup.ws.dir).sort()).toEqual(
    ["backup.log", "tasks-20260612-1000-3.json", third].sort(),
  );
  expect(sha(join(backup.ws.dir, third))).toBe(manifestOf(third).compressed.sha256);
  expect(runCli(["verify", join(backup.ws.dir, third)], backup.ws.env).status).toBe(0);
  const health = await daemon.get("/health");
  expect(health.status).toBe(200);
  expect((JSON.parse(health.body) as { lastGoodBackup: string }).lastGoodBackup).toBe(
    manifestOf(third).createdAt,
  );
  daemon.child.kill("SIGTERM");
  expect(await daemon.exited).toBe(0);
});

function sha(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}
