// The backup sidecar's figures: wall time against the shell pipeline per database size, peak
// memory, the app writer's commit latency during a backup, and the gzip level curve.
import { statSync } from "node:fs";
import { join } from "node:path";
import { DEFAULTS } from "../../daemon/config.js";
import { canMeasureMemory } from "../exec.js";
import { renderRecords, type Row } from "../report.js";
import { formatMiB, formatMs, interleave, median } from "../stats.js";
import { type BackupRun, runPipeline, runSidecar } from "./contenders.js";
import { ensureDatabase, SIZES } from "./databases.js";
import { curveRecords, measureGzipCurve } from "./gzip-curve.js";
import { measureWriterLatency, NICE } from "./writer-latency.js";

export interface BackupBenchOptions {
  project: string;
  /** .bench/backup: databases (kept) and scratch output. */
  root: string;
  quick: boolean;
  log: (line: string) => void;
}

export interface BackupBenchResult {
  rows: Row[];
  details: { name: string; title: string; text: string }[];
}

const MEMORY_LIMIT = 150 * 1024 * 1024;

/** Runs every backup measurement and returns the table rows and the detail tables. */
export async function benchBackup(options: BackupBenchOptions): Promise<BackupBenchResult> {
  const { root, log, quick } = options;
  if (!canMeasureMemory()) {
    throw new Error(
      "/usr/bin/time is missing: install the Debian package `time` (apt-get install time)",
    );
  }
  const level = Number(process.env.BACKUP_GZIP_LEVEL ?? DEFAULTS.BACKUP_GZIP_LEVEL);
  const sizes = quick ? SIZES.slice(0, 2) : SIZES;
  const reps = (bytes: number) =>
    bytes >= 1e9 ? 2 : bytes >= 1e8 ? (quick ? 2 : 5) : quick ? 3 : 7;
  const dbs = new Map<number, string>();
  for (const size of sizes) dbs.set(size.bytes, await ensureDatabase(join(root, "db"), size, log));

  const rows: Row[] = [];
  const perSize: Record<string, string>[] = [];
  let largest: { label: string; sidecar: BackupRun[]; pipeline: BackupRun[] } | undefined;
  const out = join(root, "out");

  for (const size of sizes) {
    const db = dbs.get(size.bytes)!;
    const n = reps(size.bytes);
    log(`backup: ${size.label}, guardrail-backup once vs shell pipeline at gzip -${level} × ${n}`);
    const runs = { sidecar: [] as BackupRun[], pipeline: [] as BackupRun[] };
    await interleave(n, {
      sidecar: async () => {
        const run = await runSidecar(options.project, db, join(out, "sidecar"), level);
        runs.sidecar.push(run);
        return run.ms;
      },
      pipeline: async () => {
        const run = await runPipeline(db, join(out, "pipeline"), level);
        runs.pipeline.push(run);
        return run.ms;
      },
    });
    const s = median(runs.sidecar.map((run) => run.ms));
    const p = median(runs.pipeline.map((run) => run.ms));
    rows.push({
      figure: `backup of ${size.label}: wall time (${n} runs)`,
      value: formatMs(s),
      peer: `shell pipeline (.backup, quick_check, gzip -${level})`,
      peerValue: formatMs(p),
      ratio: s / p,
      target: "≤ 1.00x",
      met: s / p <= 1,
    });
    const step = (name: string) =>
      formatMs(median(runs.sidecar.map((run) => run.timings?.[`${name}Ms`] ?? Number.NaN)));
    perSize.push({
      size: `${size.label} (${formatMiB(statSync(db).size)})`,
      sidecar: formatMs(s),
      pipeline: formatMs(p),
      ratio: `${(s / p).toFixed(2)}x`,
      "sidecar peak RSS": formatMiB(
        median(runs.sidecar.map((run) => run.peakRssBytes ?? Number.NaN)),
      ),
      "pipeline peak RSS": formatMiB(
        median(runs.pipeline.map((run) => run.peakRssBytes ?? Number.NaN)),
      ),
      snapshot: step("snapshot"),
      "verify ∥ compress": `${step("verify")} ∥ ${step("compress")}`,
      readback: step("readback"),
      ".gz size": formatMiB(median(runs.sidecar.map((run) => run.bytes ?? Number.NaN))),
    });
    largest = { label: size.label, ...runs };
  }

  if (largest) {
    const peak = median(largest.sidecar.map((run) => run.peakRssBytes ?? Number.NaN));
    rows.push({
      figure: `backup of ${largest.label}: sidecar peak memory (RSS)`,
      value: formatMiB(peak),
      peer: "limit",
      peerValue: formatMiB(MEMORY_LIMIT),
      ratio: peak / MEMORY_LIMIT,
      target: "< 150 MiB",
      met: peak < MEMORY_LIMIT,
    });
  }

  const mid = dbs.get(100_000_000)!;
  log("backup: writer committing every 5 ms during backups of the 100 MB database");
  const writer = await measureWriterLatency({
    project: options.project,
    sourceDb: mid,
    root,
    level,
    backups: quick ? 2 : 3,
    idleMs: quick ? 3000 : 6000,
    pipelineTimeoutSeconds: 60,
    log,
  });
  const { idle, sidecar } = writer.bySpell;
  rows.push(
    {
      figure: "writer every 5 ms: p99 commit during backup (100 MB)",
      value: formatMs(sidecar.p99),
      peer: "same writer, idle",
      peerValue: formatMs(idle.p99),
      ratio: sidecar.p99 / idle.p99,
      target: "≤ 3.00x",
      met: sidecar.p99 / idle.p99 <= 3,
    },
    {
      figure: "writer every 5 ms: failed commits during backup",
      value: `${sidecar.failed} of ${sidecar.commits}`,
      peer: "idle",
      peerValue: `${idle.failed} of ${idle.commits}`,
      ratio: undefined,
      target: "0",
      met: sidecar.failed === 0,
    },
  );
  const spellNames = {
    idle: "idle",
    sidecar: "during guardrail-backup once",
    "sidecar-nice": `during guardrail-backup once under nice -n ${NICE}`,
    pipeline: "during the shell pipeline",
  };
  const writerRecords = (["idle", "sidecar", "sidecar-nice", "pipeline"] as const).map((kind) => ({
    spell: spellNames[kind],
    commits: String(writer.bySpell[kind].commits),
    failed: String(writer.bySpell[kind].failed),
    p50: formatMs(writer.bySpell[kind].p50),
    p99: formatMs(writer.bySpell[kind].p99),
    max: formatMs(writer.bySpell[kind].max),
  }));
  const pipelineNote = writer.pipelineFinished.every(Boolean)
    ? `The shell pipeline finished under the writer in ${writer.pipelineMs.map(formatMs).join(", ")}.`
    : `The shell pipeline did not finish within 60 s under the writer (its \`.backup\` restarts whenever another connection writes).`;

  log("backup: gzip level curve on the 100 MB database");
  const curve = await measureGzipCurve(mid);
  return {
    rows,
    details: [
      {
        name: "backup-sizes",
        title: "Backup by database size (medians)",
        text: renderRecords(perSize),
      },
      {
        name: "backup-writer",
        title: "Commit latency of a writer committing every 5 ms (100 MB database)",
        text: `${renderRecords(writerRecords)}\n\nSidecar runs under the writer: ${writer.sidecarMs.map(formatMs).join(", ")}; under nice: ${writer.niceMs.map(formatMs).join(", ")}. ${pipelineNote}${Object.keys(writer.errors).length ? ` Errors: ${JSON.stringify(writer.errors)}.` : ""}`,
      },
      {
        name: "backup-gzip",
        title: "gzip level curve (100 MB database, one run per level)",
        text: renderRecords(curveRecords(mid, curve)),
      },
    ],
  };
}
