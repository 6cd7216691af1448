// `npm run demo`: both halves of Guardrail at work in a throwaway workspace, in about a minute.
// Run with bun (a devDependency) after `npm run build`; see docs/ for the real installs.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { demoBackups, type BackupsResult } from "./demo/backups.js";
import { demoDaemon, type DaemonResult } from "./demo/daemon.js";
import { Processes } from "./demo/processes.js";
import { demoPushGate, type PushGateResult } from "./demo/push-gate.js";
import { DemoError, show } from "./demo/say.js";
import { printSummary } from "./demo/summary.js";
import { BACKUP_CLI, createWorkspace, PROJECT } from "./demo/workspace.js";

const SIGNALS = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;

async function main(): Promise<number> {
  for (const built of [BACKUP_CLI, join(PROJECT, "dist/pre-receive")]) {
    if (!existsSync(built)) {
      process.stderr.write(
        `demo: ${built} is missing: run \`npm run build\` (or \`npm run demo\`)\n`,
      );
      return 2;
    }
  }
  // The push gate needs git on the server; so does the demo's laptop side.
  if (spawnSync("git", ["--version"]).status !== 0) {
    process.stderr.write(
      "demo: git is not installed: install it (apt-get install git) and retry\n",
    );
    return 2;
  }
  const ws = createWorkspace();
  const procs = new Processes();
  process.stdout.write(`Guardrail demo. Workspace (everything lands here): ${ws.root}\n`);

  // Ctrl-C: stop every child (they run in their own process groups), keep the workspace.
  let interrupted = false;
  for (const [signal, code] of Object.entries(SIGNALS)) {
    process.once(signal, () => {
      interrupted = true;
      process.stderr.write(`\ndemo: ${signal}: stopping the demo's processes\n`);
      void procs.stopAll().finally(() => {
        process.stderr.write(`demo: stopped. The workspace is kept: ${ws.root}\n`);
        process.exit(code);
      });
    });
  }

  try {
    const push: PushGateResult = await demoPushGate(ws, procs);
    const backups: BackupsResult = await demoBackups(ws, procs);
    const daemon: DaemonResult = await demoDaemon(ws, procs, backups);
    await procs.stopAll();
    printSummary(ws, push, backups, daemon);
    return 0;
  } catch (error) {
    if (interrupted) return 1; // the signal handler reports and exits
    process.stderr.write(`\ndemo failed: ${error instanceof Error ? error.message : error}\n`);
    if (error instanceof DemoError && error.output) show(error.output);
    else if (!(error instanceof DemoError)) process.stderr.write(`${(error as Error)?.stack}\n`);
    process.stderr.write(`The workspace is kept for a look: ${ws.root}\n`);
    return 1;
  } finally {
    await procs.stopAll();
  }
}

process.exitCode = await main();
