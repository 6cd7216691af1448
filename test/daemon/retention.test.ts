// The retention rule on simulated backup histories. Expected kept sets are written out as explicit
// local dates and UTC instants worked out by hand from the calendar and the zones' DST rules
// (Madrid: UTC+1, UTC+2 from 2026-03-29 01:00Z to 2026-10-25 01:00Z; New York: UTC-5, UTC-4
// from 2026-03-08 07:00Z to 2026-11-01 06:00Z), never by re-running the rule's own logic.
import { describe, expect, it } from "vitest";
import { formatBackupName } from "../../daemon/manifest.js";
import {
  NEWEST_VERIFIED,
  NOT_VERIFIED,
  UnknownTimeZoneError,
  planRetention,
  type RetentionCandidate,
  type RetentionRule,
} from "../../daemon/retention.js";
import { backup, dailyBucket, HOUR_MS, hourly, keptInstants } from "../support/retention-cases.js";

describe("planRetention over months of backups", () => {
  it("keeps the last 7 days, 4 ISO weeks and 3 months of half a year of daily Madrid backups", () => {
    // One backup a day at 03:00 Madrid time, 2026-01-01 to 2026-06-30 (a Tuesday, in W27).
    const days: { local: string; candidate: RetentionCandidate }[] = [];
    for (let t = Date.UTC(2026, 0, 1); t <= Date.UTC(2026, 5, 30); t += 24 * HOUR_MS) {
      const local = new Date(t).toISOString().slice(0, 10);
      const offset = local >= "2026-03-29" ? 2 : 1;
      days.push({ local, candidate: backup(t + (3 - offset) * HOUR_MS) });
    }
    const candidates = days.map((day) => day.candidate);

    const decisions = planRetention(
      candidates,
      { daily: 7, weekly: 4, monthly: 3 },
      "Europe/Madrid",
    );

    const kept = days.filter((_, index) => decisions[index]?.keep).map((day) => day.local);
    expect(kept).toEqual([
      "2026-04-30", // monthly 2026-04
      "2026-05-31", // monthly 2026-05
      "2026-06-14", // weekly W24 (Jun 8-14)
      "2026-06-21", // weekly W25 (Jun 15-21)
      "2026-06-24",
      "2026-06-25",
      "2026-06-26",
      "2026-06-27",
      "2026-06-28", // daily, and weekly W26 (Jun 22-28)
      "2026-06-29",
      "2026-06-30", // newest, daily, weekly W27, monthly 2026-06
    ]);
    const byDay = (local: string) => decisions[days.findIndex((day) => day.local === local)];
    expect(byDay("2026-06-30")?.reasons).toEqual([
      NEWEST_VERIFIED,
      "daily 2026-06-30",
      "weekly 2026-W27",
      "monthly 2026-06",
    ]);
    expect(byDay("2026-06-28")?.reasons).toEqual(["daily 2026-06-28", "weekly 2026-W26"]);
    expect(byDay("2026-04-30")?.reasons).toEqual(["monthly 2026-04"]);
    expect(byDay("2026-06-23")?.reasons).toEqual([
      "daily 2026-06-23 is older than the last 7 days kept",
      "weekly 2026-W26 keeps a newer backup",
      "monthly 2026-06 keeps a newer backup",
    ]);
  });

  it("keeps the last 5 days, 3 weeks and 2 months of two months of hourly New York backups", () => {
    const candidates = hourly("2026-10-01T00:00Z", "2026-12-01T00:00Z");

    const decisions = planRetention(
      candidates,
      { daily: 5, weekly: 3, monthly: 2 },
      "America/New_York",
    );

    expect(keptInstants(candidates, decisions)).toEqual([
      "2026-11-01T03:00Z", // Oct 31 23:00 EDT: monthly 2026-10, though November in UTC
      "2026-11-23T04:00Z", // Nov 22 23:00 EST: weekly W47
      "2026-11-27T04:00Z", // Nov 26 23:00 EST: daily
      "2026-11-28T04:00Z", // Nov 27
      "2026-11-29T04:00Z", // Nov 28
      "2026-11-30T04:00Z", // Nov 29: daily, weekly W48
      "2026-11-30T23:00Z", // Nov 30 18:00 EST: newest, daily, weekly W49, monthly 2026-11
    ]);
    expect(decisions.filter((decision) => !decision.keep)).toHaveLength(candidates.length - 7);
  });

  it.each([
    ["Europe/Madrid", "2026-03-29", "2026-10-25"],
    ["America/New_York", "2026-03-08", "2026-11-01"],
  ])(
    "puts 23 hourly backups in the spring-forward day and 25 in the fall-back day in %s",
    (zone, spring, fall) => {
      const candidates = hourly("2026-01-01T00:00Z", "2027-01-01T00:00Z");

      const decisions = planRetention(candidates, { daily: 400, weekly: 0, monthly: 0 }, zone);

      const perDay = new Map<string, number>();
      for (const decision of decisions) {
        const day = dailyBucket(decision) ?? "none";
        perDay.set(day, (perDay.get(day) ?? 0) + 1);
      }
      expect(perDay.get(spring)).toBe(23);
      expect(perDay.get(fall)).toBe(25);
      expect(perDay.get("2026-06-15")).toBe(24);
      expect(perDay.has("none")).toBe(false);
      // Every local day touched by the year of UTC hours keeps exactly its last backup.
      expect(perDay.size).toBe(366);
      expect(decisions.filter((decision) => decision.keep)).toHaveLength(366);
    },
  );
});

describe("planRetention with gaps", () => {
  const days = [
    "2026-11-09T03:00Z", // W46
    "2026-11-10T03:00Z", // W46
    "2026-11-20T03:00Z", // W47
    "2026-11-24T03:00Z", // W48
    "2026-11-25T03:00Z", // W48
    "2026-11-25T15:00Z", // W48, later the same day
    "2026-11-30T03:00Z", // W49
    "2026-12-01T03:00Z", // W49
  ];

  it("counts only days that have backups, however far apart they are", () => {
    const candidates = days.map((utc) => backup(utc));

    const decisions = planRetention(candidates, { daily: 5, weekly: 0, monthly: 0 }, "UTC");

    expect(keptInstants(candidates, decisions)).toEqual([
      "2026-11-20T03:00Z",
      "2026-11-24T03:00Z",
      "2026-11-25T15:00Z",
      "2026-11-30T03:00Z",
      "2026-12-01T03:00Z",
    ]);
  });

  it("counts only weeks and months that have backups", () => {
    const candidates = [
      ...days,
      "2026-10-31T03:00Z",
      "2026-07-15T03:00Z", // after two empty months
      "2026-06-30T03:00Z",
    ].map((utc) => backup(utc));

    const decisions = planRetention(candidates, { daily: 0, weekly: 3, monthly: 4 }, "UTC");

    expect(keptInstants(candidates, decisions)).toEqual([
      "2026-07-15T03:00Z", // monthly 2026-07, the fourth month with backups
      "2026-10-31T03:00Z", // monthly 2026-10
      "2026-11-20T03:00Z", // weekly W47
      "2026-11-25T15:00Z", // weekly W48
      "2026-11-30T03:00Z", // monthly 2026-11
      "2026-12-01T03:00Z", // newest, weekly W49, monthly 2026-12
    ]);
    const june = decisions[candidates.length - 1];
    expect(june?.reasons).toEqual([
      "weekly 2026-W27 is older than the last 3 weeks kept",
      "monthly 2026-06 is older than the last 4 months kept",
    ]);
  });
});

describe("planRetention with unverified backups", () => {
  it("keeps an unverified newest backup without counting it, and keeps the newest verified one", () => {
    const candidates = [
      backup("2026-12-03T03:00Z", false),
      backup("2026-12-02T03:00Z"),
      backup("2026-12-01T03:00Z"),
      backup("2026-11-30T03:00Z"),
    ];

    const decisions = planRetention(candidates, { daily: 2, weekly: 0, monthly: 0 }, "UTC");

    expect(decisions).toEqual([
      { file: candidates[0]?.file, keep: true, reasons: [NOT_VERIFIED] },
      { file: candidates[1]?.file, keep: true, reasons: [NEWEST_VERIFIED, "daily 2026-12-02"] },
      { file: candidates[2]?.file, keep: true, reasons: ["daily 2026-12-01"] },
      {
        file: candidates[3]?.file,
        keep: false,
        reasons: ["daily 2026-11-30 is older than the last 2 days kept"],
      },
    ]);
  });

  it("lets an older verified backup keep a day that a newer unverified one shares", () => {
    const candidates = [
      backup("2026-12-02T22:00Z", false),
      backup("2026-12-02T03:00Z"),
      backup("2026-12-01T03:00Z"),
    ];

    const decisions = planRetention(candidates, { daily: 1, weekly: 0, monthly: 0 }, "UTC");

    expect(decisions.map((decision) => decision.keep)).toEqual([true, true, false]);
    expect(decisions[1]?.reasons).toEqual([NEWEST_VERIFIED, "daily 2026-12-02"]);
  });

  it("never deletes an unverified backup, however old", () => {
    const candidates = [backup("2026-12-02T03:00Z"), backup("2025-01-01T03:00Z", false)];

    const decisions = planRetention(candidates, { daily: 1, weekly: 1, monthly: 1 }, "UTC");

    expect(decisions[1]).toEqual({
      file: candidates[1]?.file,
      keep: true,
      reasons: [NOT_VERIFIED],
    });
  });

  it("deletes nothing when no backup is verified", () => {
    const candidates = hourly("2026-12-01T00:00Z", "2026-12-03T00:00Z").map((candidate) => ({
      ...candidate,
      verified: false,
    }));

    const decisions = planRetention(candidates, { daily: 0, weekly: 0, monthly: 0 }, "UTC");

    expect(decisions).toHaveLength(48);
    expect(decisions.every((decision) => decision.keep)).toBe(true);
  });

  it("returns no decisions for no candidates", () => {
    expect(planRetention([], { daily: 7, weekly: 4, monthly: 0 }, "UTC")).toEqual([]);
  });
});

describe("planRetention never empties the folder", () => {
  // Regression: a rule that keeps nothing must still leave the newest verified backup, as
  // docker-volume-backup refuses to prune every backup.
  it("keeps only the newest verified backup when every count is 0", () => {
    const candidates = hourly("2026-11-01T00:00Z", "2026-12-01T00:00Z");

    const decisions = planRetention(
      candidates,
      { daily: 0, weekly: 0, monthly: 0 },
      "Europe/Madrid",
    );

    expect(keptInstants(candidates, decisions)).toEqual(["2026-11-30T23:00Z"]);
    expect(decisions.at(-1)?.reasons).toEqual([NEWEST_VERIFIED]);
    expect(decisions[0]?.reasons).toEqual(["every keep count is 0"]);
  });

  it("keeps an old newest verified backup behind newer unverified ones when every count is 0", () => {
    const candidates = [
      backup("2026-12-03T03:00Z", false),
      backup("2026-12-02T03:00Z", false),
      backup("2026-06-01T03:00Z"),
      backup("2026-05-01T03:00Z"),
    ];

    const decisions = planRetention(candidates, { daily: 0, weekly: 0, monthly: 0 }, "UTC");

    expect(decisions.map((decision) => decision.keep)).toEqual([true, true, true, false]);
    expect(decisions[2]?.reasons).toEqual([NEWEST_VERIFIED]);
  });
});

describe("planRetention is deterministic", () => {
  /** A seeded Fisher-Yates shuffle, so a failure can be replayed. */
  function shuffled<T>(items: T[], seed: number): T[] {
    const copy = [...items];
    let state = seed;
    for (let i = copy.length - 1; i > 0; i--) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      const j = state % (i + 1);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }

  it("decides the same for every order of the same backups and answers in input order", () => {
    const candidates = hourly("2026-09-20T00:00Z", "2026-11-10T00:00Z").map((candidate, index) => ({
      ...candidate,
      verified: index % 7 !== 3,
    }));
    const rule: RetentionRule = { daily: 6, weekly: 3, monthly: 2 };
    const reference = planRetention(candidates, rule, "America/New_York");
    const byFile = new Map(reference.map((decision) => [decision.file, decision]));

    for (const seed of [1, 2, 3, 42, 2026]) {
      const input = shuffled(candidates, seed);
      const decisions = planRetention(input, rule, "America/New_York");
      expect(decisions.map((decision) => decision.file)).toEqual(input.map((c) => c.file));
      expect(decisions).toEqual(input.map((c) => byFile.get(c.file)));
    }
    expect(reference.filter((decision) => decision.keep).length).toBeGreaterThan(1);
    expect(reference.filter((decision) => !decision.keep).length).toBeGreaterThan(1);
  });

  it("treats the higher sequence as newer when two backups share a minute", () => {
    const time = new Date("2026-12-03T03:00Z");
    const first = { file: formatBackupName("tasks", time, 1), time, verified: true };
    const second = { file: formatBackupName("tasks", time, 2), time, verified: true };
    const rule = { daily: 1, weekly: 0, monthly: 0 };

    const forward = planRetention([first, second], rule, "UTC");
    const backward = planRetention([second, first], rule, "UTC");

    expect(forward.map((decision) => decision.keep)).toEqual([false, true]);
    expect(backward.map((decision) => decision.keep)).toEqual([true, false]);
  });
});

describe("planRetention refuses bad input", () => {
  /** Plans one backup in `zone`; with no candidates, the zone is still checked. */
  const planIn = (zone: string, candidates = [backup("2026-12-03T03:00Z")]) =>
    planRetention(candidates, { daily: 1, weekly: 0, monthly: 0 }, zone);

  it.each(["Mars/Base", "", "local", "+01:00"])(
    "rejects the unknown time zone %j naming TZ",
    (zone) => {
      expect(() => planIn(zone)).toThrow(`unknown time zone ${JSON.stringify(zone)} (TZ)`);
      expect(() => planIn(zone, [])).toThrow(UnknownTimeZoneError);
    },
  );

  it("gives the unknown time zone error exit code 2, a hint and the runtime's cause", () => {
    const error = (() => {
      try {
        planIn("Europe/Madird");
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(UnknownTimeZoneError);
    expect(error).toMatchObject({ exitCode: 2, hint: expect.stringContaining("Europe/Madrid") });
    expect((error as Error).cause).toBeInstanceOf(RangeError);
  });

  it("accepts zone names the runtime knows, including aliases", () => {
    for (const zone of ["UTC", "utc", "Europe/Madrid", "America/New_York", "US/Eastern"]) {
      expect(planIn(zone).map((decision) => decision.keep)).toEqual([true]);
    }
  });

  it("rejects negative or fractional counts, duplicate files and invalid times", () => {
    const one = [backup("2026-12-03T03:00Z")];
    const rule = { daily: 1, weekly: 0, monthly: 0 };

    expect(() => planRetention(one, { ...rule, weekly: -1 }, "UTC")).toThrow(/weekly count/);
    expect(() => planRetention(one, { ...rule, monthly: 1.5 }, "UTC")).toThrow(/monthly count/);
    expect(() => planRetention([...one, ...one], rule, "UTC")).toThrow(/twice/);
    const invalid = { file: "tasks-x.sqlite3.gz", time: new Date("nope"), verified: true };
    expect(() => planRetention([invalid], rule, "UTC")).toThrow(/no time for tasks-x/);
  });
});
