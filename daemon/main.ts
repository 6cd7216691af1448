#!/usr/bin/env node
// guardrail-backup: the backup sidecar's command line. Each subcommand lives in commands/.
import { getPriority, setPriority } from "node:os";
import { Command, CommanderError } from "commander";
import { listCommand } from "./commands/list.js";
import { onceCommand } from "./commands/once.js";
import { printConfigCommand } from "./commands/print-config.js";
import { pruneCommand } from "./commands/prune.js";
import { restoreCommand } from "./commands/restore.js";
import { drillCommand } from "./commands/drill.js";
import { healthcheckCommand } from "./commands/healthcheck.js";
import { runCommand } from "./commands/run.js";
import { verifyCommand } from "./commands/verify.js";
import { PROGRAM, reportFailure } from "./commands/cli.js";
import { GUARDRAIL_VERSION } from "./version.js";

/** The program with every subcommand; usage errors exit 2, help and version exit 0. */
export function buildProgram(): Command {
  const program = new Command(PROGRAM)
    .description("Consistent, verified, compressed backups of a live SQLite database.")
    .version(GUARDRAIL_VERSION)
    .showHelpAfterError("(add --help for usage)");
  for (const command of [
    runCommand(),
    onceCommand(),
    listCommand(),
    verifyCommand(),
    pruneCommand(),
    printConfigCommand(),
    restoreCommand(),
    drillCommand(),
    healthcheckCommand(),
  ]) {
    program.addCommand(command);
  }
  const exitOnUsage = (error: CommanderError) => {
    const ok = error.exitCode === 0;
    process.exit(ok ? 0 : 2);
  };
  program.exitOverride(exitOnUsage);
  for (const command of program.commands) command.exitOverride(exitOnUsage);
  return program;
}

/**
 * The app's writers come first: the sidecar runs at nice 10 (or lower, if started lower). The
 * zlib and SQLite threads it starts later inherit it; under load this halved the p99 commit
 * latency of a writer during a backup (docs/performance.md).
 */
function yieldToTheApp(): void {
  try {
    if (getPriority() < 10) setPriority(10);
  } catch {
    // Not allowed here (some container runtimes): run at the normal priority.
  }
}

yieldToTheApp();
buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => reportFailure(error));
