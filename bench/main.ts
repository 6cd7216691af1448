// `npm run bench [-- hook|backup]`: measures the push gate and the backup sidecar against what a
// user would do by hand, in the same run, prints one table and keeps it in docs/performance.md.
// Run with bun; better-sqlite3 work happens in node child processes (see backup/).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { benchBackup } from "./backup/bench-backup.js";
import { benchHook } from "./hook/bench-hook.js";
import { describeMachine, load, renderMachine } from "./machine.js";
import { renderRecords, renderTable, replaceSection, type Row } from "./report.js";

const PROJECT = resolve(import.meta.dirname, "..");
const OUT = join(PROJECT, ".bench");
const DOC = join(PROJECT, "docs/performance.md");
const BUN = join(PROJECT, "node_modules/.bin/bun");

// BENCH_QUICK=1 runs each figure fewer times and skips the 1 GB database: for trying the harness.
const quick = process.env.BENCH_QUICK === "1";

async function main(): Promise<number> {
  const parts = process.argv.slice(2).filter((arg) => arg === "hook" || arg === "backup");
  const run = new Set(parts.length > 0 ? parts : ["hook", "backup"]);
  for (const built of ["dist/pre-receive", "dist/daemon/main.js"]) {
    if (!existsSync(join(PROJECT, built))) {
      console.error(`bench: ${built} is missing: run \`npm run build\` first`);
      return 1;
    }
  }
  mkdirSync(OUT, { recursive: true });
  const log = (line: string) =>
    console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const started = Date.now();
  const loadBefore = load();
  const machine = describeMachine(BUN);
  const rows: Row[] = [];
  const details: { name: string; title: string; text: string }[] = [];

  if (run.has("hook")) {
    const hook = await benchHook({
      project: PROJECT,
      root: join(OUT, "hook"),
      bun: BUN,
      reps: quick
        ? { nonGated: 7, warm: 3, cold: 1, growth: 1 }
        : { nonGated: 21, warm: 7, cold: 3, growth: 5 },
      log,
    });
    rows.push(...hook.rows);
    details.push({
      name: "hook-growth",
      title: "Verdict time by app size (warm cache)",
      text: renderRecords(hook.growth),
    });
  }
  if (run.has("backup")) {
    const backup = await benchBackup({ project: PROJECT, root: join(OUT, "backup"), quick, log });
    rows.push(...backup.rows);
    details.push(...backup.details);
  }

  const loadAfter = load();
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const stamp = `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${minutes} min${quick ? ", BENCH_QUICK=1" : ""}`;
  const table = renderTable(rows);
  const machineText = renderMachine(machine, loadBefore, loadAfter);

  console.log(`\n## Guardrail benchmark (${stamp})\n\n${table}\n\n### Machine\n\n${machineText}`);
  for (const detail of details) console.log(`\n### ${detail.title}\n\n${detail.text}`);
  const met = rows.filter((row) => row.met === false).length;
  console.log(`\n${rows.filter((r) => r.met).length} targets met, ${met} not met.`);

  writeFileSync(
    join(OUT, `results-${[...run].join("-")}.json`),
    JSON.stringify({ stamp, machine, loadBefore, loadAfter, rows, details }, null, 2),
  );
  // A quick run is for trying the harness; only full runs replace the published numbers.
  if (!quick) {
    for (const part of run) {
      const partRows = rows.filter((row) => rowPart(row) === part);
      replaceSection(DOC, part, `Measured ${stamp}.\n\n${renderTable(partRows)}`);
    }
    replaceSection(DOC, "machine", machineText);
    for (const detail of details) replaceSection(DOC, detail.name, detail.text);
  }
  return 0;
}

function rowPart(row: Row): string {
  return /push|growth/.test(row.figure) ? "hook" : "backup";
}

process.exitCode = await main();
