// The app's writer during a backup: a separate node process commits every 5 ms (busy_timeout
// 5000) while idle spells alternate with `guardrail-backup once` runs and, for comparison, the
// shell pipeline; commit latencies are then split by the spell they started in.
import { spawn } from "node:child_process";
import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { baseEnv } from "../exec.js";
import { percentile } from "../stats.js";
import { runPipeline, runSidecar } from "./contenders.js";

export type Spell = "idle" | "sidecar" | "sidecar-nice" | "pipeline";

/** The nice value of the "sidecar-nice" runs: what `os.setPriority` in the sidecar would give. */
export const NICE = 10;

export interface LatencySummary {
  commits: number;
  failed: number;
  p50: number;
  p99: number;
  max: number;
}

export interface WriterLatencyResult {
  bySpell: Record<Spell, LatencySummary>;
  errors: Record<string, number>;
  /** Whether each shell pipeline finished within its time limit while the writer ran. */
  pipelineFinished: boolean[];
  pipelineMs: number[];
  sidecarMs: number[];
  niceMs: number[];
}

export interface WriterLatencyOptions {
  project: string;
  sourceDb: string;
  root: string;
  level: number;
  backups: number;
  idleMs: number;
  /** The shell pipeline is stopped after this long (its .backup may restart forever). */
  pipelineTimeoutSeconds: number;
  log: (line: string) => void;
}

/** Runs the experiment on a copy of `sourceDb`. */
export async function measureWriterLatency(
  options: WriterLatencyOptions,
): Promise<WriterLatencyResult> {
  const db = join(options.root, "writer.sqlite3");
  const samplesFile = join(options.root, "writer-samples.json");
  for (const file of [db, `${db}-wal`, `${db}-shm`, samplesFile]) rmSync(file, { force: true });
  copyFileSync(options.sourceDb, db);

  const writer = spawn("node", [join(import.meta.dirname, "writer.mjs"), db, "5", samplesFile], {
    env: baseEnv({ HOME: process.env.HOME }) as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((done) => writer.once("exit", done));
  await new Promise<void>((ready, fail) => {
    writer.stdout.once("data", () => ready());
    writer.once("exit", (code) => fail(new Error(`the writer exited (${code}) before writing`)));
  });

  const spells: { kind: Spell; start: number; end: number }[] = [];
  const spell = async (kind: Spell, work: () => Promise<unknown>) => {
    const start = performance.timeOrigin + performance.now();
    await work();
    spells.push({ kind, start, end: performance.timeOrigin + performance.now() });
  };
  const out = join(options.root, "writer-out");
  const sidecarMs: number[] = [];
  const pipelineMs: number[] = [];
  const niceMs: number[] = [];
  const pipelineFinished: boolean[] = [];
  try {
    for (let i = 0; i < options.backups; i++) {
      await spell("idle", () => sleep(options.idleMs));
      await spell("sidecar", async () =>
        sidecarMs.push((await runSidecar(options.project, db, out, options.level)).ms),
      );
      await spell("idle", () => sleep(options.idleMs));
      await spell("sidecar-nice", async () =>
        niceMs.push((await runSidecar(options.project, db, out, options.level, NICE)).ms),
      );
    }
    await spell("idle", () => sleep(options.idleMs));
    await spell("pipeline", async () => {
      const run = await runPipeline(db, out, options.level, options.pipelineTimeoutSeconds);
      pipelineFinished.push(run.ok);
      pipelineMs.push(run.ms);
    });
    await spell("idle", () => sleep(options.idleMs));
  } finally {
    writer.kill("SIGTERM");
    await exited;
  }

  const { samples, errors } = JSON.parse(readFileSync(samplesFile, "utf8")) as {
    samples: [number, number, number][];
    errors: Record<string, number>;
  };
  const summarise = (kind: Spell): LatencySummary => {
    const inSpell = samples.filter(([start]) =>
      spells.some((s) => s.kind === kind && start >= s.start && start < s.end),
    );
    const latencies = inSpell.map(([, ms]) => ms);
    return {
      commits: inSpell.length,
      failed: inSpell.filter(([, , ok]) => ok === 0).length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
    };
  };
  for (const file of [db, `${db}-wal`, `${db}-shm`]) rmSync(file, { force: true });
  return {
    bySpell: {
      idle: summarise("idle"),
      sidecar: summarise("sidecar"),
      "sidecar-nice": summarise("sidecar-nice"),
      pipeline: summarise("pipeline"),
    },
    errors,
    pipelineFinished,
    pipelineMs,
    sidecarMs,
    niceMs,
  };
}
