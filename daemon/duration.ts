// Durations in configuration: a number with a unit, `90s`, `30m`, `26h`, `2d` (`ms` for tests).
// A bare number is refused: `BACKUP_MAX_AGE=1` read as one second is a silent surprise.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds for a duration string; undefined when it does not parse or has no unit. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2]]!);
}

/** Why `text` is not a duration, for a message naming the variable: `must be ...`. */
export function durationProblem(text: string): string {
  const bare = /^\s*\d+(?:\.\d+)?\s*$/.test(text) && Number(text) > 0;
  return bare
    ? `needs a unit: write ${text.trim()}s, ${text.trim()}m, ${text.trim()}h or ${text.trim()}d (s, m, h, d)`
    : "must be a duration with a unit (s, m, h, d), like 90s, 30m, 26h, 2d";
}

/** A duration in the form it is configured in: `25h`, `30m`, `90s` (the largest exact unit). */
export function formatDurationSetting(ms: number): string {
  for (const unit of ["d", "h", "m", "s"]) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A short human form of a duration, for messages: `1h 5m`, `42s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
