// Time and size per gzip level, for node's zlib (what the sidecar uses) and the gzip CLI, on
// the same file: the curve behind the BACKUP_GZIP_LEVEL default.
import { statSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, exec, sh } from "../exec.js";
import { formatMiB, formatMs } from "../stats.js";

export interface CurvePoint {
  level: number;
  nodeMs: number;
  nodeBytes: number;
  cliMs: number;
  cliBytes: number;
}

/** Compresses `file` at every level 1..9 with both compressors, once each. */
export async function measureGzipCurve(file: string): Promise<CurvePoint[]> {
  const env = baseEnv({ HOME: process.env.HOME, FILE: file });
  const points: CurvePoint[] = [];
  for (let level = 1; level <= 9; level++) {
    const node = await exec(
      "node",
      [join(import.meta.dirname, "gzip-level.mjs"), file, String(level)],
      { env },
    );
    const { ms: nodeMs, bytes: nodeBytes } = JSON.parse(node.output) as {
      ms: number;
      bytes: number;
    };
    const cli = await sh(`gzip -${level} -c "$FILE" | wc -c`, { env });
    points.push({ level, nodeMs, nodeBytes, cliMs: cli.ms, cliBytes: Number(cli.output.trim()) });
  }
  return points;
}

/** The curve as table records, sizes as a share of the input. */
export function curveRecords(file: string, points: CurvePoint[]): Record<string, string>[] {
  const input = statSync(file).size;
  return points.map((point) => ({
    level: String(point.level),
    "node zlib time": formatMs(point.nodeMs),
    "node zlib size": `${formatMiB(point.nodeBytes)} (${((point.nodeBytes / input) * 100).toFixed(1)}%)`,
    "node MB/s": (input / 1e6 / (point.nodeMs / 1000)).toFixed(0),
    "gzip CLI time": formatMs(point.cliMs),
    "gzip CLI size": `${formatMiB(point.cliBytes)} (${((point.cliBytes / input) * 100).toFixed(1)}%)`,
  }));
}
