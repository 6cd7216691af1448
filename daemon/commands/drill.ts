// `guardrail-backup drill`: restore the newest verified backup into a temporary folder and prove
// it works (checks, manifest comparison, BACKUP_DRILL_COMMAND).
import { Command } from "commander";
import { GuardrailError } from "../../shared/errors.js";
import { loadConfig } from "../config.js";
import { createRunRecorder } from "../record.js";
import { createResilience } from "../resilience.js";
import { action } from "./cli.js";

export function drillCommand(): Command {
  return new Command("drill")
    .description(
      "restore the newest verified backup into a temporary folder, check it, run BACKUP_DRILL_COMMAND",
    )
    .action(
      action(async () => {
        const config = loadConfig();
        const recorder = createRunRecorder(config.dir);
        const resilience = createResilience(config, recorder, { recorder });
        const result = await resilience.drill();
        if (!result.ok && result.commandFailed) {
          // The backup restored and passed its checks; the user's own command did not.
          throw new GuardrailError(`restore drill failed: ${result.error}`, {
            hint: `${result.backup} restored and passed its checks, but BACKUP_DRILL_COMMAND failed (exit code ${result.commandExitCode ?? "none"}); run it by hand against a restored copy to see why`,
          });
        }
        if (!result.ok) {
          throw new GuardrailError(`restore drill failed: ${result.error}`, {
            hint: "the newest backup may not restore; check it with `verify --full`",
          });
        }
        const restoreMs = result.restoreMs ?? 0;
        process.stdout.write(
          `drill ok: ${result.backup} restored and checked in ${restoreMs} ms` +
            (config.resilience.drill.command ? ", BACKUP_DRILL_COMMAND passed\n" : "\n"),
        );
      }),
    );
}
