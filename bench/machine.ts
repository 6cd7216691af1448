// What the numbers were measured on: cores, memory, versions, and how busy the machine was.
import { execFileSync } from "node:child_process";
import { cpus, loadavg, release, totalmem } from "node:os";
import { renderRecords } from "./report.js";

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  kernel: string;
  versions: Record<string, string>;
}

/** Reads the machine's facts; a tool that is missing is reported as such, never fatal. */
export function describeMachine(bun: string): Machine {
  const version = (command: string, args: string[], pick = (s: string) => s.trim()) => {
    try {
      return pick(
        execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
      );
    } catch {
      return "missing";
    }
  };
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    versions: {
      node: version("node", ["--version"]),
      bun: version(bun, ["--version"]),
      git: version("git", ["--version"], (s) => s.replace("git version ", "").trim()),
      "sqlite3 (CLI)": version("sqlite3", ["--version"], (s) => s.split(" ")[0] ?? s),
      "SQLite (better-sqlite3)": version("node", [
        "-e",
        "const D=require('better-sqlite3');process.stdout.write(new D(':memory:').prepare('select sqlite_version()').pluck().get())",
      ]),
      gzip: version("gzip", ["--version"], (s) => s.split("\n")[0]?.replace("gzip ", "") ?? s),
    },
  };
}

/** The load averages, to say how busy the machine was while measuring. */
export function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(" / ");
}

/** The machine as a small Markdown table. */
export function renderMachine(machine: Machine, loadBefore: string, loadAfter: string): string {
  return renderRecords([
    { fact: "cores", value: `${machine.cores} × ${machine.cpu}` },
    { fact: "memory", value: `${machine.memoryGiB} GiB` },
    { fact: "kernel", value: machine.kernel },
    ...Object.entries(machine.versions).map(([fact, value]) => ({ fact, value })),
    { fact: "load average (1/5/15 min) before", value: loadBefore },
    { fact: "load average (1/5/15 min) after", value: loadAfter },
  ]);
}
