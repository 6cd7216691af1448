// The retention rule around daylight-saving changes and calendar edges (ISO weeks, New Year). Expected kept sets are written out as explicit
// local dates and UTC instants worked out by hand from the calendar and the zones' DST rules
// (Madrid: UTC+1, UTC+2 from 2026-03-29 01:00Z to 2026-10-25 01:00Z; New York: UTC-5, UTC-4
// from 2026-03-08 07:00Z to 2026-11-01 06:00Z), never by re-running the rule's own logic.
import { describe, expect, it } from "vitest";
import { NEWEST_VERIFIED, planRetention } from "../../daemon/retention.js";
import { backup, bucketsOf, dailyBucket, keptInstants } from "../support/retention-cases.js";

describe("planRetention around daylight-saving changes", () => {
  // Each row: a backup's UTC instant and the local day it belongs to.
  it.each([
    {
      zone: "Europe/Madrid",
      change: "spring forward on 2026-03-29",
      rows: [
        ["2026-03-28T22:30Z", "2026-03-28"], // 23:30 CET
        ["2026-03-28T23:30Z", "2026-03-29"], // 00:30 CET, still the 28th in UTC
        ["2026-03-29T00:30Z", "2026-03-29"], // 01:30 CET
        ["2026-03-29T01:30Z", "2026-03-29"], // 03:30 CEST (02:30 does not exist)
        ["2026-03-29T21:30Z", "2026-03-29"], // 23:30 CEST
        ["2026-03-29T22:30Z", "2026-03-30"], // 00:30 CEST, still the 29th in UTC
      ],
    },
    {
      zone: "Europe/Madrid",
      change: "fall back on 2026-10-25",
      rows: [
        ["2026-10-24T21:30Z", "2026-10-24"], // 23:30 CEST
        ["2026-10-24T22:30Z", "2026-10-25"], // 00:30 CEST
        ["2026-10-24T23:30Z", "2026-10-25"], // 01:30 CEST
        ["2026-10-25T00:30Z", "2026-10-25"], // 02:30 CEST
        ["2026-10-25T01:30Z", "2026-10-25"], // 02:30 CET, the same wall time again
        ["2026-10-25T22:30Z", "2026-10-25"], // 23:30 CET
        ["2026-10-25T23:30Z", "2026-10-26"], // 00:30 CET
      ],
    },
    {
      zone: "America/New_York",
      change: "spring forward on 2026-03-08",
      rows: [
        ["2026-03-08T04:30Z", "2026-03-07"], // 23:30 EST, already the 8th in UTC
        ["2026-03-08T05:30Z", "2026-03-08"], // 00:30 EST
        ["2026-03-08T06:30Z", "2026-03-08"], // 01:30 EST
        ["2026-03-08T07:30Z", "2026-03-08"], // 03:30 EDT (02:30 does not exist)
        ["2026-03-09T03:30Z", "2026-03-08"], // 23:30 EDT, already the 9th in UTC
        ["2026-03-09T04:30Z", "2026-03-09"], // 00:30 EDT
      ],
    },
    {
      zone: "America/New_York",
      change: "fall back on 2026-11-01",
      rows: [
        ["2026-11-01T03:30Z", "2026-10-31"], // 23:30 EDT
        ["2026-11-01T04:30Z", "2026-11-01"], // 00:30 EDT
        ["2026-11-01T05:30Z", "2026-11-01"], // 01:30 EDT
        ["2026-11-01T06:30Z", "2026-11-01"], // 01:30 EST, the same wall time again
        ["2026-11-01T07:30Z", "2026-11-01"], // 02:30 EST
        ["2026-11-02T04:30Z", "2026-11-01"], // 23:30 EST, already the 2nd in UTC
        ["2026-11-02T05:30Z", "2026-11-02"], // 00:30 EST
      ],
    },
  ])("buckets by local date in $zone across the $change", ({ zone, rows }) => {
    const candidates = rows.map(([utc]) => backup(utc!));

    const decisions = planRetention(candidates, { daily: 10, weekly: 0, monthly: 0 }, zone);

    expect(decisions.map(dailyBucket)).toEqual(rows.map(([, local]) => local));
    // The newest backup of each local day survives, and only it.
    const lastOfDay = rows.filter(([, local], index) => rows[index + 1]?.[1] !== local);
    expect(keptInstants(candidates, decisions)).toEqual(lastOfDay.map(([utc]) => utc).sort());
  });

  it("keeps the second 01:30 of the New York fall-back night as the newer one", () => {
    const first = backup("2026-11-01T05:30Z"); // 01:30 EDT
    const second = backup("2026-11-01T06:30Z"); // 01:30 EST, an hour later

    const decisions = planRetention(
      [first, second],
      { daily: 1, weekly: 0, monthly: 0 },
      "America/New_York",
    );

    expect(decisions.map((decision) => decision.keep)).toEqual([false, true]);
  });
});

describe("planRetention calendar buckets", () => {
  it.each([
    ["2026-12-27T12:00Z", "UTC", "2026-12-27", "2026-W52", "2026-12"],
    ["2026-12-28T12:00Z", "UTC", "2026-12-28", "2026-W53", "2026-12"],
    ["2026-12-31T12:00Z", "UTC", "2026-12-31", "2026-W53", "2026-12"],
    ["2027-01-01T12:00Z", "UTC", "2027-01-01", "2026-W53", "2027-01"],
    ["2027-01-03T12:00Z", "UTC", "2027-01-03", "2026-W53", "2027-01"],
    ["2027-01-04T12:00Z", "UTC", "2027-01-04", "2027-W01", "2027-01"],
    ["2025-12-29T12:00Z", "UTC", "2025-12-29", "2026-W01", "2025-12"],
    ["2024-12-30T12:00Z", "UTC", "2024-12-30", "2025-W01", "2024-12"],
    ["2021-01-03T12:00Z", "UTC", "2021-01-03", "2020-W53", "2021-01"],
    // 22:00 EST on New Year's Eve: January in UTC, still December and 2026-W53 locally.
    ["2027-01-01T03:00Z", "America/New_York", "2026-12-31", "2026-W53", "2026-12"],
    // 23:30 EST on Sunday 3 January: Monday (2027-W01) in UTC, still 2026-W53 locally.
    ["2027-01-04T04:30Z", "America/New_York", "2027-01-03", "2026-W53", "2027-01"],
    // 00:30 CET on Friday 1 January: still 2026 in UTC.
    ["2026-12-31T23:30Z", "Europe/Madrid", "2027-01-01", "2026-W53", "2027-01"],
  ])("puts %s in %s into day %s, week %s and month %s", (utc, zone, day, week, month) => {
    expect(bucketsOf(utc, zone)).toEqual([
      NEWEST_VERIFIED,
      `daily ${day}`,
      `weekly ${week}`,
      `monthly ${month}`,
    ]);
  });

  it("keeps the newest backup of each ISO week across the year boundary", () => {
    const candidates = [
      "2026-12-27T03:00Z", // W52
      "2026-12-28T03:00Z", // W53
      "2026-12-31T03:00Z", // W53, last of December
      "2027-01-01T03:00Z", // W53
      "2027-01-03T03:00Z", // W53, last of the week
      "2027-01-04T03:00Z", // 2027-W01
    ].map((utc) => backup(utc));

    const decisions = planRetention(candidates, { daily: 0, weekly: 2, monthly: 2 }, "UTC");

    expect(keptInstants(candidates, decisions)).toEqual([
      "2026-12-31T03:00Z",
      "2027-01-03T03:00Z",
      "2027-01-04T03:00Z",
    ]);
  });
});
