// Drills run by another process (`guardrail-backup drill` beside the daemon) are known to the
// daemon only through backup.log, where every drill writes one line. The daemon reads the last
// one at start and again whenever the file changes, so /health and /metrics show it.
import { watch, type FSWatcher } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import type { DrillResult } from "./drill.js";
import { LOG_FILE } from "./record.js";

/** How much of the end of backup.log is searched: drills are rare, runs write one line each. */
const TAIL_BYTES = 256 * 1024;

export interface LoggedDrill {
  result: DrillResult;
  /** When the line was written (ms since the epoch): orders drills from any process. */
  loggedAt: number;
}

/** The newest drill line in `dir`'s backup.log, or undefined when there is none (or no log). */
export async function readLastDrill(dir: string): Promise<LoggedDrill | undefined> {
  let text: string;
  try {
    const handle = await open(join(dir, LOG_FILE), "r");
    try {
      const { size } = await handle.stat();
      const start = Math.max(0, size - TAIL_BYTES);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      text = buffer.toString("utf8");
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const drill = parseDrillLine(lines[i]!);
    if (drill) return drill;
  }
  return undefined;
}

function parseDrillLine(line: string): LoggedDrill | undefined {
  if (!line.includes('"drill ')) return undefined;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined; // a partial line being written, or the cut at the start of the tail
  }
  if (record.msg !== "drill finished" && record.msg !== "drill failed") return undefined;
  const loggedAt = Date.parse(String(record.time));
  if (Number.isNaN(loggedAt)) return undefined;
  const durationMs = typeof record.durationMs === "number" ? record.durationMs : 0;
  // Lines written before startedAt was logged: the start is about the end less the duration.
  const startedAt = Date.parse(String(record.startedAt));
  const result: DrillResult = {
    ok: record.outcome === "ok",
    at: new Date(Number.isNaN(startedAt) ? loggedAt - durationMs : startedAt),
    durationMs,
    backup: typeof record.file === "string" ? record.file : undefined,
    restoreMs: typeof record.restoreMs === "number" ? record.restoreMs : undefined,
    error: typeof record.error === "string" ? record.error : undefined,
  };
  return { result, loggedAt };
}

/**
 * Calls `onDrill` with the last logged drill now and whenever backup.log changes and holds a
 * newer one. Returns a function that stops watching. If the file is replaced (rotated), later
 * drills are seen again only after a restart.
 */
export function followDrills(dir: string, onDrill: (drill: LoggedDrill) => void): () => void {
  let newest = 0;
  let reading = Promise.resolve();
  const check = () => {
    reading = reading.then(async () => {
      const drill = await readLastDrill(dir);
      if (drill && drill.loggedAt > newest) {
        newest = drill.loggedAt;
        onDrill(drill);
      }
    });
  };
  check();
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(join(dir, LOG_FILE), { persistent: false }, check);
    watcher.on("error", () => watcher?.close());
  } catch {
    // No backup.log to watch (it is created at start, so only a removed folder gets here).
  }
  return () => watcher?.close();
}
