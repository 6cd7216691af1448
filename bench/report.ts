// The one table `npm run bench` prints, and the copy of it kept in docs/performance.md.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { formatRatio } from "./stats.js";

/** One figure: Guardrail's median, the peer it is compared with, and the target. */
export interface Row {
  figure: string;
  /** Guardrail's median, formatted. */
  value: string;
  /** What it is compared with (empty for figures reported without a peer). */
  peer: string;
  peerValue: string;
  /** Guardrail / peer, or the figure / its limit. */
  ratio: number | undefined;
  target: string;
  /** undefined: reported, no target. */
  met: boolean | undefined;
}

/** Renders rows as a Markdown table, which reads as well in a terminal as in the docs. */
export function renderTable(rows: readonly Row[]): string {
  const header = [
    "figure",
    "Guardrail (median)",
    "peer",
    "peer (median)",
    "ratio",
    "target",
    "met",
  ];
  const body = rows.map((row) => [
    row.figure,
    row.value,
    row.peer || "—",
    row.peerValue || "—",
    row.ratio === undefined ? "—" : formatRatio(row.ratio),
    row.target || "report",
    row.met === undefined ? "—" : row.met ? "yes" : "**no**",
  ]);
  const widths = header.map((cell, i) => Math.max(cell.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/** Renders a plain list of records (a curve, a breakdown) as a Markdown table. */
export function renderRecords(records: readonly Record<string, string>[]): string {
  if (records.length === 0) return "";
  const header = Object.keys(records[0]!);
  const rows = records.map((record) => header.map((key) => record[key] ?? ""));
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/**
 * Replaces the text between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->` in the
 * docs page, leaving the hand-written parts around it alone. Returns false when the markers are
 * missing (the page was edited by hand): nothing is written then.
 */
export function replaceSection(file: string, name: string, content: string): boolean {
  if (!existsSync(file)) return false;
  const text = readFileSync(file, "utf8");
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return false;
  writeFileSync(
    file,
    `${text.slice(0, from + start.length)}\n${content.trim()}\n${text.slice(to)}`,
  );
  return true;
}
