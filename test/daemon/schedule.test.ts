import { describe, expect, it } from "vitest";
import { createLogger } from "../../shared/log.js";
import {
  nextSlot,
  previousSlot,
  schedulePeriodMs,
  slotsBetween,
  wallClock,
} from "../../daemon/schedule.js";
import { Scheduler } from "../../daemon/scheduler.js";

const logger = createLogger({ level: "silent" });
const localDate = (instant: Date, timeZone: string) =>
  new Date(wallClock(instant.getTime(), timeZone)).toISOString().slice(0, 10);

describe("schedule slots", () => {
  for (const timeZone of ["Europe/Madrid", "America/New_York", "UTC"]) {
    for (const schedule of ["30 2 * * *", "30 1 * * *", "0 3 * * *"]) {
      it(`gives exactly one slot on every local day of 2026 for '${schedule}' in ${timeZone}`, () => {
        const slots = slotsBetween(
          schedule,
          timeZone,
          new Date("2025-12-31T12:00:00Z"),
          new Date("2027-01-01T12:00:00Z"),
        );
        const days = slots
          .map((slot) => localDate(slot.at, timeZone))
          .filter((day) => day.startsWith("2026"));
        expect(days).toHaveLength(365);
        expect(new Set(days).size).toBe(365);
      });
    }
  }

  it("moves a slot that does not exist (spring forward) to the first instant after the jump", () => {
    // Madrid, 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z); 02:30 never happens.
    const madrid = slotsBetween(
      "30 2 * * *",
      "Europe/Madrid",
      new Date("2026-03-28T12:00Z"),
      new Date("2026-03-29T12:00Z"),
    );
    expect(madrid.map((slot) => slot.at.toISOString())).toEqual(["2026-03-29T01:00:00.000Z"]);
    // New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z).
    const newYork = slotsBetween(
      "30 2 * * *",
      "America/New_York",
      new Date("2026-03-07T12:00Z"),
      new Date("2026-03-08T12:00Z"),
    );
    expect(newYork.map((slot) => slot.at.toISOString())).toEqual(["2026-03-08T07:00:00.000Z"]);
  });

  it("counts a repeated local time (fall back) once, at its first occurrence", () => {
    // Madrid, 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens at 00:30Z and 01:30Z.
    const madrid = slotsBetween(
      "30 2 * * *",
      "Europe/Madrid",
      new Date("2026-10-24T12:00Z"),
      new Date("2026-10-25T12:00Z"),
    );
    expect(madrid.map((slot) => slot.at.toISOString())).toEqual(["2026-10-25T00:30:00.000Z"]);
    // New York, 2026-11-01: 01:30 happens at 05:30Z (EDT) and 06:30Z (EST).
    const newYork = slotsBetween(
      "30 1 * * *",
      "America/New_York",
      new Date("2026-10-31T12:00Z"),
      new Date("2026-11-01T12:00Z"),
    );
    expect(newYork.map((slot) => slot.at.toISOString())).toEqual(["2026-11-01T05:30:00.000Z"]);
  });

  it("finds the previous and next slot around an instant", () => {
    const now = new Date("2026-06-10T12:00:00Z");
    expect(previousSlot("0 3 * * *", "Europe/Madrid", now)?.at.toISOString()).toBe(
      "2026-06-10T01:00:00.000Z",
    );
    expect(nextSlot("0 3 * * *", "Europe/Madrid", now)?.at.toISOString()).toBe(
      "2026-06-11T01:00:00.000Z",
    );
    expect(previousSlot("0 3 * * 1", "UTC", now)?.at.toISOString()).toBe(
      "2026-06-08T03:00:00.000Z",
    );
  });

  it("measures one schedule period for the default maximum age", () => {
    expect(schedulePeriodMs("0 3 * * *", "UTC", new Date("2026-06-10T00:00Z"))).toBe(86_400_000);
    expect(schedulePeriodMs("0 */6 * * *", "UTC", new Date("2026-06-10T00:00Z"))).toBe(
      6 * 3_600_000,
    );
    expect(schedulePeriodMs("0 3 * * 1", "UTC", new Date("2026-06-10T00:00Z"))).toBe(
      7 * 86_400_000,
    );
  });
});

/** A scheduler on a fake clock whose backups "succeed" by moving the last good time to now. */
function fakeDaemon(options: { schedule: string; timeZone: string; start: Date; lastGood?: Date }) {
  let now = options.start;
  let lastGood = options.lastGood;
  let busy = false;
  const runs: { at: Date; reason: string }[] = [];
  const scheduler = new Scheduler({
    schedule: options.schedule,
    timeZone: options.timeZone,
    logger,
    now: () => now,
    lastGood: async () => lastGood,
    busy: () => busy,
    run: async (reason) => {
      runs.push({ at: now, reason });
      lastGood = now;
    },
  });
  return {
    scheduler,
    runs,
    setNow: (date: Date) => (now = date),
    setBusy: (value: boolean) => (busy = value),
  };
}

describe("the scheduler", () => {
  it("catches up a slot that node-cron dropped, once", async () => {
    const fake = fakeDaemon({
      schedule: "0 3 * * *",
      timeZone: "UTC",
      start: new Date("2026-06-12T10:00:00Z"),
      lastGood: new Date("2026-06-10T03:00:05Z"),
    });
    await fake.scheduler.check("catch-up");
    await fake.scheduler.check("catch-up");
    expect(fake.runs.map((run) => [run.at.toISOString(), run.reason])).toEqual([
      ["2026-06-12T10:00:00.000Z", "catch-up"],
    ]);
  });

  it("backs up at once when there is no backup at all, and not again until the next slot", async () => {
    const fake = fakeDaemon({
      schedule: "0 3 * * *",
      timeZone: "UTC",
      start: new Date("2026-06-12T10:00:00Z"),
    });
    await fake.scheduler.check("start");
    fake.setNow(new Date("2026-06-12T11:00:00Z"));
    await fake.scheduler.check("catch-up");
    fake.setNow(new Date("2026-06-13T03:00:00Z"));
    await fake.scheduler.check("tick");
    expect(fake.runs.map((run) => run.at.toISOString())).toEqual([
      "2026-06-12T10:00:00.000Z",
      "2026-06-13T03:00:00.000Z",
    ]);
  });

  it("skips a tick while a backup runs and does not run it afterwards", async () => {
    const fake = fakeDaemon({
      schedule: "0 * * * *",
      timeZone: "UTC",
      start: new Date("2026-06-12T10:00:00Z"),
      lastGood: new Date("2026-06-12T09:00:01Z"),
    });
    fake.setBusy(true);
    await fake.scheduler.check("tick");
    fake.setBusy(false);
    await fake.scheduler.check("catch-up");
    expect(fake.runs).toEqual([]);
  });

  for (const [timeZone, schedule, from] of [
    ["Europe/Madrid", "30 2 * * *", "2026-03-27T00:00:00Z"],
    ["Europe/Madrid", "30 2 * * *", "2026-10-23T00:00:00Z"],
    ["America/New_York", "30 1 * * *", "2026-10-30T00:00:00Z"],
    ["America/New_York", "30 2 * * *", "2026-03-06T00:00:00Z"],
  ] as const) {
    it(`runs exactly once per local day across the DST change near ${from} in ${timeZone} ('${schedule}')`, async () => {
      const start = new Date(from);
      const fake = fakeDaemon({ schedule, timeZone, start, lastGood: start });
      // Every minute for four days: node-cron's tick when the local time matches, and the watchdog.
      for (let t = start.getTime(); t < start.getTime() + 4 * 86_400_000; t += 60_000) {
        fake.setNow(new Date(t));
        const local = new Date(wallClock(t, timeZone));
        const [minute, hour] = schedule.split(" ").map(Number);
        if (local.getUTCMinutes() === minute && local.getUTCHours() === hour) {
          await fake.scheduler.check("tick");
        }
        await fake.scheduler.check("catch-up");
      }
      const days = fake.runs.map((run) => localDate(run.at, timeZone));
      expect(days).toHaveLength(4);
      expect(new Set(days).size).toBe(4);
    });
  }
});
