// Small statistics for noisy machines: medians and percentiles, never means of single runs.

/** The median of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The `p`th percentile (0..100) with linear interpolation between neighbours. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  const highValue = sorted[high] as number;
  return lowValue + (highValue - lowValue) * (rank - low);
}

/** Milliseconds as people read them: `42 ms`, `1.84 s`, `2 min 05 s`. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, "0")} s`;
}

/** Bytes in binary megabytes, the unit memory and file sizes are quoted in here. */
export function formatMiB(bytes: number): string {
  if (!Number.isFinite(bytes)) return "—";
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

/** A ratio as `1.07x`. */
export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : "—";
}

/**
 * Runs `contenders` round-robin `reps` times (A B C, A B C, ...), so that a slow spell of the
 * machine hits every contender alike, and returns each one's list of timings in ms.
 */
export async function interleave(
  reps: number,
  contenders: Record<string, () => Promise<number>>,
): Promise<Record<string, number[]>> {
  const times: Record<string, number[]> = {};
  for (const name of Object.keys(contenders)) times[name] = [];
  for (let rep = 0; rep < reps; rep++) {
    // Alternate the order too: whoever runs first after a pause may find colder caches.
    const names = Object.keys(contenders);
    if (rep % 2 === 1) names.reverse();
    for (const name of names) times[name]!.push(await contenders[name]!());
  }
  return times;
}
