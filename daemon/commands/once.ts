// `guardrail-backup once`: one backup now, with a progress line when on a terminal.
import { Command } from "commander";
import { createLogger, Field } from "../../shared/log.js";
import { GuardrailError } from "../../shared/errors.js";
import { loadConfig } from "../config.js";
import { createRunRecorder } from "../record.js";
import { createResilience } from "../resilience.js";
import { runBackup, type AfterSuccessStep, type Progress } from "../run-backup.js";
import { action, reportFailure } from "./cli.js";

/** Extra after-success steps (replication) registered by other modules before parsing. */
export const onceAfterSuccess: AfterSuccessStep[] = [];

export function onceCommand(): Command {
  return new Command("once")
    .description("take one backup now: snapshot, verify, compress, publish, prune")
    .option("--no-prune", "keep every backup this time")
    .action(
      action(async (options: { prune: boolean }) => {
        const config = loadConfig();
        const logger = createLogger({ base: { [Field.component]: "backup" } });
        const progress = process.stderr.isTTY ? progressLine() : undefined;
        const resilience = createResilience(config, logger);
        // Ctrl-C or SIGTERM aborts the run; the pipeline removes its temporary files.
        const interrupt = new AbortController();
        let exitCode = 130;
        const onSignal = (signal: NodeJS.Signals) => {
          // The shell's convention: 128 + the signal's number (SIGINT 2, SIGTERM 15).
          exitCode = signal === "SIGTERM" ? 143 : 130;
          interrupt.abort(new GuardrailError(`interrupted by ${signal}`));
        };
        process.once("SIGINT", onSignal).once("SIGTERM", onSignal);
        const result = await runBackup({
          config,
          logger,
          recorder: createRunRecorder(config.dir),
          signal: interrupt.signal,
          prune: options.prune,
          afterSuccess: [...onceAfterSuccess, ...resilience.afterSuccess],
          onProgress: progress?.update,
        });
        process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
        progress?.done();
        if (interrupt.signal.aborted) {
          reportFailure(interrupt.signal.reason);
          // The snapshot's worker thread may still be inside SQLite: do not wait for it.
          process.exit(exitCode);
        }
        await resilience.afterRun(result);
        if (result.outcome !== "ok") {
          throw new GuardrailError(`backup failed at ${result.failedStep}: ${result.error}`, {
            hint: result.hint,
          });
        }
      }),
    );
}

/** A single self-overwriting line on stderr: the step, and bytes done for the long ones. */
function progressLine(): { update: (progress: Progress) => void; done: () => void } {
  let last = 0;
  return {
    update: ({ step, doneBytes, totalBytes }) => {
      const now = Date.now();
      if (doneBytes !== undefined && now - last < 200) return;
      last = now;
      const share =
        doneBytes !== undefined && totalBytes
          ? ` ${Math.floor((doneBytes / totalBytes) * 100)}%`
          : "";
      const mb = doneBytes !== undefined ? ` ${(doneBytes / 1e6).toFixed(0)} MB` : "";
      process.stderr.write(`\r\x1b[Kbackup: ${step}${share}${mb}`);
    },
    done: () => process.stderr.write("\r\x1b[K"),
  };
}
