// The retention rule: which backups a prune keeps and why. Pure: no files, no clock, no logs, so
// `prune`, `prune --dry-run` and the tests all see the same decisions.
import { GuardrailError, InternalError } from "../shared/errors.js";
import { parseBackupName } from "./manifest.js";

/** How many calendar buckets each rule keeps a backup for; 0 turns that rule off. */
export interface RetentionRule {
  daily: number;
  weekly: number;
  monthly: number;
}

/** A backup as retention sees it. `file` must be unique among the candidates. */
export interface RetentionCandidate {
  file: string;
  time: Date;
  verified: boolean;
}

/** Whether to keep one candidate, with every reason (for the log and `prune --dry-run`). */
export interface RetentionDecision {
  file: string;
  keep: boolean;
  reasons: string[];
}

export const NEWEST_VERIFIED = "newest verified";
export const NOT_VERIFIED = "not verified, so never pruned by the rule";

/** The configured time zone is not one the runtime's time zone database knows. */
export class UnknownTimeZoneError extends GuardrailError {
  constructor(timeZone: string, cause: unknown) {
    super(`unknown time zone ${JSON.stringify(timeZone)} (TZ)`, {
      cause,
      exitCode: 2,
      hint: "set TZ to an IANA zone name such as UTC, Europe/Madrid or America/New_York",
    });
  }
}

type Period = keyof RetentionRule;
const PERIODS: readonly Period[] = ["daily", "weekly", "monthly"];
const UNITS: Record<Period, string> = { daily: "days", weekly: "weeks", monthly: "months" };
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Decides, for each candidate in the given order, whether the rule keeps it (restic's
 * `--keep-daily/--keep-weekly/--keep-monthly`): walking verified backups newest first, each period
 * keeps the newest backup of each of its last N buckets that have backups, in `timeZone`.
 * Unverified backups are always kept and never counted; the newest verified backup is always
 * kept. The result does not depend on the candidates' order. Throws UnknownTimeZoneError for a
 * zone the runtime does not know, InternalError for duplicate files, invalid times or counts.
 */
export function planRetention(
  candidates: RetentionCandidate[],
  rule: RetentionRule,
  timeZone: string,
): RetentionDecision[] {
  checkInput(candidates, rule);
  const bucketsOf = calendarBuckets(timeZone);
  const verified = candidates.filter((candidate) => candidate.verified).sort(newestFirst);

  // Buckets already counted, as sets rather than restic's "differs from the previous backup":
  // the same result while local dates only move forward, and still one backup per bucket if a
  // zone's clock ever steps back across midnight.
  const counted: Record<Period, Set<string>> = {
    daily: new Set(),
    weekly: new Set(),
    monthly: new Set(),
  };
  const decided = new Map<string, RetentionDecision>();
  verified.forEach((candidate, index) => {
    const buckets = bucketsOf(candidate.time);
    const kept = index === 0 ? [NEWEST_VERIFIED] : [];
    const dropped: string[] = [];
    for (const period of PERIODS) {
      const bucket = `${period} ${buckets[period]}`;
      if (counted[period].has(buckets[period])) {
        dropped.push(`${bucket} keeps a newer backup`);
      } else if (counted[period].size < rule[period]) {
        counted[period].add(buckets[period]);
        kept.push(bucket);
      } else if (rule[period] > 0) {
        dropped.push(`${bucket} is older than the last ${rule[period]} ${UNITS[period]} kept`);
      }
    }
    const keep = kept.length > 0;
    const reasons = keep ? kept : dropped.length > 0 ? dropped : ["every keep count is 0"];
    decided.set(candidate.file, { file: candidate.file, keep, reasons });
  });

  return candidates.map(
    (candidate) =>
      decided.get(candidate.file) ?? { file: candidate.file, keep: true, reasons: [NOT_VERIFIED] },
  );
}

/**
 * Returns a function giving a time's local calendar date, ISO week and month in `timeZone`.
 * The zone conversion (and with it every DST rule) is left to Intl; the ISO week is computed on
 * the local calendar date alone, where plain UTC day arithmetic is exact.
 */
function calendarBuckets(timeZone: string): (time: Date) => Record<Period, string> {
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      calendar: "gregory",
      numberingSystem: "latn",
      year: "numeric",
      month: "numeric",
      day: "numeric",
    });
  } catch (error) {
    throw new UnknownTimeZoneError(timeZone, error);
  }

  return (time) => {
    const parts = format.formatToParts(time);
    const part = (type: Intl.DateTimeFormatPartTypes) =>
      Number(parts.find((item) => item.type === type)?.value);
    const [year, month, day] = [part("year"), part("month"), part("day")];
    return {
      daily: `${pad(year, 4)}-${pad(month)}-${pad(day)}`,
      weekly: isoWeek(year, month, day),
      monthly: `${pad(year, 4)}-${pad(month)}`,
    };
  };
}

/** ISO 8601 week of a calendar date: the week (Monday first) belongs to the year of its Thursday. */
function isoWeek(year: number, month: number, day: number): string {
  const date = Date.UTC(year, month - 1, day);
  const mondayBased = (new Date(date).getUTCDay() + 6) % 7;
  const thursday = new Date(date + (3 - mondayBased) * DAY_MS);
  const weekYear = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(weekYear, 0, 1)) / DAY_MS / 7) + 1;
  return `${pad(weekYear, 4)}-W${pad(week)}`;
}

/**
 * Newest first. Backups named in the same minute carry the same time, so ties go to the higher
 * sequence in the name (the later run), then to the file name, only to stay order-independent.
 */
function newestFirst(a: RetentionCandidate, b: RetentionCandidate): number {
  const sequence = (file: string) => parseBackupName(file)?.sequence ?? 1;
  return (
    b.time.getTime() - a.time.getTime() ||
    sequence(b.file) - sequence(a.file) ||
    (a.file < b.file ? 1 : a.file > b.file ? -1 : 0)
  );
}

// Config validation owns the user-facing errors for counts; reaching here with bad input is a bug.
function checkInput(candidates: RetentionCandidate[], rule: RetentionRule): void {
  for (const period of PERIODS) {
    if (!Number.isSafeInteger(rule[period]) || rule[period] < 0) {
      throw new InternalError(
        `retention ${period} count must be a whole number >= 0, got ${rule[period]}`,
      );
    }
  }
  const files = new Set<string>();
  for (const { file, time } of candidates) {
    if (files.has(file)) throw new InternalError(`retention got ${file} twice`);
    if (Number.isNaN(time.getTime())) throw new InternalError(`retention got no time for ${file}`);
    files.add(file);
  }
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}
