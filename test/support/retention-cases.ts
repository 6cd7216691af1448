// Building simulated backup histories for the retention tests, and reading decisions back.
import { formatBackupName } from "../../daemon/manifest.js";
import {
  planRetention,
  type RetentionCandidate,
  type RetentionDecision,
} from "../../daemon/retention.js";

export const HOUR_MS = 60 * 60 * 1000;

export function backup(utc: string | number, verified = true): RetentionCandidate {
  const time = new Date(utc);
  return { file: formatBackupName("tasks", time), time, verified };
}

/** One backup per UTC hour in [from, to). */
export function hourly(from: string, to: string): RetentionCandidate[] {
  const list: RetentionCandidate[] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += HOUR_MS) list.push(backup(t));
  return list;
}

/** The UTC instants (as `YYYY-MM-DDTHH:mmZ`) of the kept decisions, oldest first. */
export function keptInstants(
  candidates: RetentionCandidate[],
  decisions: RetentionDecision[],
): string[] {
  return candidates
    .filter((_, index) => decisions[index]?.keep)
    .map((candidate) => candidate.time.toISOString().replace(":00.000Z", "Z"))
    .sort();
}

/** The local day a decision's reasons put the backup in (needs a daily count above 0). */
export function dailyBucket(decision: RetentionDecision | undefined): string | undefined {
  return decision?.reasons.map((reason) => /^daily (\S+)/.exec(reason)?.[1]).find(Boolean);
}

/** All bucket reasons of a single backup, which the rule keeps in every period. */
export function bucketsOf(utc: string, timeZone: string): string[] {
  const rule = { daily: 1, weekly: 1, monthly: 1 };
  return planRetention([backup(utc)], rule, timeZone)[0]?.reasons ?? [];
}
