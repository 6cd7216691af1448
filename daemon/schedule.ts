// When backups are due: the cron schedule read as wall-clock times in the configured zone.
//
// node-cron fires on the instant whose local time matches; across daylight-saving changes that
// gives a day with no run (02:30 does not exist in spring) and a day with two (01:30 happens
// twice in autumn), and it drops runs that fire late. So the daemon decides what is due here:
// it walks real minutes, maps each to local wall-clock time, and gives each local minute one
// slot at the first real instant that reaches it. Skipped local minutes fall to the first
// instant after the jump; repeated ones are not counted twice. Resolution is one minute.
import cron from "node-cron";

const MINUTE = 60_000;
const QUARTER = 15 * MINUTE;

/** One scheduled run: the real instant it is due and the local minute it stands for. */
export interface Slot {
  at: Date;
  /** Local wall-clock minute as `YYYY-MM-DDTHH:mm`, unique per scheduled run. */
  local: string;
}

interface Matcher {
  minutes: Set<number>;
  hours: Set<number>;
  /** Full match of a wall-clock minute given as UTC fields. */
  match(wallClock: Date): boolean;
}

const matchers = new Map<string, Matcher>();

function matcherFor(schedule: string): Matcher {
  let matcher = matchers.get(schedule);
  if (!matcher) {
    const fields = cron.parse(schedule);
    // A never-started task used only for its matcher, in UTC: we feed it wall-clock fields.
    const task = cron.createTask(schedule, () => {}, { timezone: "UTC" });
    matcher = {
      minutes: new Set(fields.minute),
      hours: new Set(fields.hour),
      match: (wallClock) => task.match(wallClock),
    };
    matchers.set(schedule, matcher);
  }
  return matcher;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time in `timeZone` at `instant`, as milliseconds of a UTC date with those fields. */
export function wallClock(instant: number, timeZone: string): number {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
    formats.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(instant)) parts[part.type] = Number(part.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!);
}

const offsets = new Map<string, number>();

/**
 * The zone's offset at a quarter-hour boundary, cached: the watchdog scans the same days again
 * every minute, and Intl formatting is what costs.
 */
function offsetAt(quarter: number, timeZone: string): number {
  const key = `${timeZone} ${quarter}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    if (offsets.size > 50_000) offsets.clear();
    offset = wallClock(quarter, timeZone) - quarter;
    offsets.set(key, offset);
  }
  return offset;
}

/**
 * Calls `visit` for every slot due in (from, to], in order, until it returns false. Offsets are
 * looked up once per quarter hour: every zone changes offset on a quarter-hour boundary.
 */
function walkSlots(
  schedule: string,
  timeZone: string,
  from: number,
  to: number,
  visit: (slot: Slot) => boolean,
): void {
  const matcher = matcherFor(schedule);
  let t = Math.floor(from / MINUTE) * MINUTE;
  let offset = offsetAt(Math.floor(t / QUARTER) * QUARTER, timeZone);
  let seen = t + offset;
  for (t += MINUTE; t <= to; t += MINUTE) {
    if (t % QUARTER === 0) offset = offsetAt(t, timeZone);
    const local = t + offset;
    for (let m = seen + MINUTE; m <= local; m += MINUTE) {
      const date = new Date(m);
      if (!matcher.minutes.has(date.getUTCMinutes()) || !matcher.hours.has(date.getUTCHours())) {
        continue;
      }
      if (matcher.match(date)) {
        const slot = { at: new Date(t), local: date.toISOString().slice(0, 16) };
        if (!visit(slot)) return;
      }
    }
    if (local > seen) seen = local;
  }
}

/** Every slot due in (from, to]. */
export function slotsBetween(schedule: string, timeZone: string, from: Date, to: Date): Slot[] {
  const slots: Slot[] = [];
  walkSlots(schedule, timeZone, from.getTime(), to.getTime(), (slot) => slots.push(slot) > 0);
  return slots;
}

/** The latest slot due at or before `now`, looking back at most `lookbackMs`. */
export function previousSlot(
  schedule: string,
  timeZone: string,
  now: Date,
  lookbackMs = 400 * 86_400_000,
): Slot | undefined {
  // Look back in growing windows so the common case (a daily schedule) scans one or two days.
  for (let window = 2 * 86_400_000; ; window *= 8) {
    const span = Math.min(window, lookbackMs);
    const slots = slotsBetween(schedule, timeZone, new Date(now.getTime() - span), now);
    if (slots.length > 0 || span >= lookbackMs) return slots.at(-1);
  }
}

/** The first slot due after `now`, within about a year (undefined for rarer schedules). */
export function nextSlot(schedule: string, timeZone: string, now: Date): Slot | undefined {
  let found: Slot | undefined;
  walkSlots(schedule, timeZone, now.getTime(), now.getTime() + 400 * 86_400_000, (slot) => {
    found = slot;
    return false;
  });
  return found;
}

/** The longest gap between consecutive slots over the next few runs: one schedule period. */
export function schedulePeriodMs(schedule: string, timeZone: string, now = new Date()): number {
  let previous: number | undefined;
  let longest = 0;
  let count = 0;
  walkSlots(schedule, timeZone, now.getTime(), now.getTime() + 800 * 86_400_000, (slot) => {
    if (previous !== undefined) longest = Math.max(longest, slot.at.getTime() - previous);
    previous = slot.at.getTime();
    return ++count < 8;
  });
  return longest || 86_400_000;
}

/**
 * Why `value` is not a usable schedule for `name`, or undefined when it is. Only 5 fields:
 * node-cron also takes a seconds field, but the scheduler here works in whole minutes.
 */
export function scheduleProblem(name: string, value: string, example: string): string | undefined {
  const fields = value.trim().split(/\s+/).length;
  if (fields !== 5 && cron.validate(value)) {
    return `${name} has ${fields} fields; write 5 (minute hour day-of-month month day-of-week), like '${example}' (seconds are not supported)`;
  }
  if (!cron.validate(value))
    return `${name} must be a cron expression of 5 fields like '${example}'`;
  return undefined;
}
