// `guardrail-backup healthcheck`: the Docker HEALTHCHECK. Asks the running daemon's /health and
// exits 0 only on 200, printing the daemon's own reasons otherwise, so `docker inspect` shows
// why the container is unhealthy.
import { Command } from "commander";
import { GuardrailError } from "../../shared/errors.js";
import { action } from "./cli.js";

export function healthcheckCommand(): Command {
  return new Command("healthcheck")
    .description("exit 0 when the running daemon's /health answers 200 (for HEALTHCHECK)")
    .option("--port <port>", "the daemon's port", process.env.BACKUP_PORT || "9090")
    .action(
      action(async (options: { port: string }) => {
        const url = `http://127.0.0.1:${options.port}/health`;
        const response = await fetch(url, { signal: AbortSignal.timeout(8000) }).catch(
          (error: unknown) => {
            throw new GuardrailError(`no answer from ${url}`, {
              cause: error,
              hint: "is `guardrail-backup run` running, on BACKUP_PORT?",
            });
          },
        );
        const body = (await response.json().catch(() => ({}))) as { problems?: string[] };
        if (response.status !== 200) {
          const problems = body.problems?.join("; ") || "no reason given";
          throw new GuardrailError(`unhealthy (HTTP ${response.status}): ${problems}`);
        }
        process.stdout.write("healthy\n");
      }),
    );
}
