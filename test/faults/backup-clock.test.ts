// The clock jumping while the daemon runs, at the scheduler's seam: an injected clock, checks
// every minute as the watchdog makes them (plus node-cron's ticks where the local time matches),
// and a fake backup that "succeeds" by recording the time it ran. No missed slot goes without a
// catch-up, a jump never causes a burst of backups, and a clock set back does not redo slots.
import { describe, expect, it } from "vitest";
import { wallClock } from "../../daemon/schedule.js";
import { Scheduler } from "../../daemon/scheduler.js";
import { createLogger } from "../../shared/log.js";

const MINUTE = 60_000;
const logger = createLogger({ level: "silent" });

/** A scheduler on a clock the test moves, whose backups move the last good time to "now". */
function clockedDaemon(schedule: string, timeZone: string, start: string) {
  let now = new Date(start);
  let lastGood: Date | undefined = new Date(now.getTime() - MINUTE);
  const runs: string[] = [];
  const [minute, hour] = schedule.split(" ");
  const scheduler = new Scheduler({
    schedule,
    timeZone,
    logger,
    now: () => now,
    lastGood: async () => lastGood,
    busy: () => false,
    run: async () => {
      runs.push(now.toISOString().slice(0, 16));
      // The newest backup by name: a clock set back makes a backup that sorts older.
      if (!lastGood || now > lastGood) lastGood = now;
    },
  });
  /** Lets `minutes` pass, checking each minute as node-cron and the watchdog would. */
  const pass = async (minutes: number) => {
    for (let i = 0; i < minutes; i++) {
      now = new Date(now.getTime() + MINUTE);
      const local = new Date(wallClock(now.getTime(), timeZone));
      const matches = (field: string | undefined, value: number) =>
        field === "*" || field?.split(",").map(Number).includes(value);
      if (matches(minute, local.getUTCMinutes()) && matches(hour, local.getUTCHours())) {
        await scheduler.check("tick");
      }
      await scheduler.check("catch-up");
    }
  };
  const jump = async (ms: number) => {
    now = new Date(now.getTime() + ms);
    await scheduler.check("catch-up");
  };
  return { runs, pass, jump };
}

describe("the scheduler when the clock jumps", () => {
  it("catches up once, not once per missed slot, when the clock jumps three days forward", async () => {
    const daemon = clockedDaemon("0 3 * * *", "UTC", "2026-06-12T10:00:00Z");
    await daemon.jump(3 * 86_400_000);
    await daemon.pass(60);
    expect(daemon.runs).toEqual(["2026-06-15T10:00"]);
    await daemon.pass(17 * 60); // to 04:00 the next day
    expect(daemon.runs).toEqual(["2026-06-15T10:00", "2026-06-16T03:00"]);
  });

  it("does not redo slots already covered when the clock goes back a day, and runs the next one once", async () => {
    const daemon = clockedDaemon("0 3 * * *", "UTC", "2026-06-12T02:30:00Z");
    await daemon.pass(60); // 03:00 runs
    await daemon.jump(-86_400_000); // back to 2026-06-11T03:30
    await daemon.pass(48 * 60); // through 06-12 03:00 again and 06-13 03:00
    expect(daemon.runs).toEqual(["2026-06-12T03:00", "2026-06-13T03:00"]);
  });

  it("runs an hourly schedule at most once per slot while the clock steps back and forth by minutes", async () => {
    const daemon = clockedDaemon("0 * * * *", "UTC", "2026-06-12T09:50:00Z");
    for (let round = 0; round < 6; round++) {
      await daemon.pass(15);
      await daemon.jump(-7 * MINUTE); // NTP stepping the clock back
    }
    await daemon.pass(30);
    // 10:00 and 11:00 were each due once; stepping back across 10:00 and 11:00 repeats nothing.
    expect(daemon.runs).toEqual(["2026-06-12T10:00", "2026-06-12T11:00"]);
  });

  it("catches up once when the machine sleeps across a daylight-saving change", async () => {
    // Europe/Madrid springs forward on 2026-03-29 at 02:00 (02:30 does not exist that day).
    const daemon = clockedDaemon("30 2 * * *", "Europe/Madrid", "2026-03-28T00:00:00Z");
    await daemon.pass(60); // 01:00 Madrid, nothing due yet
    await daemon.jump(30 * 3_600_000); // suspended until 2026-03-29T07:00Z (09:00 Madrid)
    await daemon.pass(24 * 60);
    expect(daemon.runs).toEqual(["2026-03-29T07:00", "2026-03-30T00:30"]);
  });

  it("runs once on the day the clocks fall back, not twice for the repeated hour", async () => {
    // America/New_York falls back on 2026-11-01 at 02:00: 01:30 happens twice.
    const daemon = clockedDaemon("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z");
    await daemon.pass(3 * 24 * 60);
    const localDays = daemon.runs.map((run) =>
      new Date(wallClock(Date.parse(`${run}Z`), "America/New_York")).toISOString().slice(0, 16),
    );
    expect(localDays).toEqual(["2026-11-01T01:30", "2026-11-02T01:30", "2026-11-03T01:30"]);
  });
});
