// The demo's last screen: what happened, and where to look.
import { join } from "node:path";
import type { BackupsResult } from "./backups.js";
import type { DaemonResult } from "./daemon.js";
import type { PushGateResult } from "./push-gate.js";
import { section } from "./say.js";
import type { Workspace } from "./workspace.js";

export function printSummary(
  ws: Workspace,
  push: PushGateResult,
  backups: BackupsResult,
  daemon: DaemonResult,
): void {
  section("Summary");
  const lines = [
    `push gate: ${push.refusedSha.slice(0, 7)} (failing test) refused, ` +
      `${push.acceptedSha.slice(0, 7)} (fix) accepted`,
    `backups:   ${backups.taken.length} taken with \`once\` + 1 by the daemon while the app ` +
      `committed ${daemon.rowsWritten} tasks`,
    backups.restoredTo
      ? `restore:   into ${backups.restoredTo}; over the open live database: refused`
      : "restore:   skipped (not in this build)",
    backups.drilled ? "drill:     passed" : "drill:     skipped (not in this build)",
    `daemon:    health ${daemon.healthStatus}, metrics served, exit ${daemon.daemonExit} on SIGTERM`,
    "",
    "Where the files are:",
    `  bare repository   ${push.bare}`,
    `  audit log         ${push.auditLog}`,
    `  working clone     ${push.work}`,
    `  database          ${backups.db}`,
    `  backups + log     ${backups.dir}  (backup.log: one JSON line per run)`,
    ...(backups.restoredTo ? [`  restored copy     ${backups.restoredTo}`] : []),
    `  caches, HOME      ${join(ws.root, "home")}`,
    "",
    "No process started by the demo is left running. The workspace stays for you to look at;",
    `remove it with:  rm -rf ${ws.root}`,
  ];
  process.stdout.write(lines.map((line) => `${line}\n`).join(""));
}
