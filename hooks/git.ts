// The hook's own git commands, run inside the push's quarantine.
//
// Not simple-git: on the path every push takes (read the config, pass a non-gated ref) loading
// and calling it cost about 40 ms of a 50 ms budget, and its guard against dangerous variables
// has nothing to guard here, where every argument is the hook's own. Four plain git calls do.
import { execFile } from "node:child_process";
import { GuardrailError } from "../shared/errors.js";

// Git gets an allow-listed environment, as the tests do: what locates the repository, the
// quarantined objects and the configuration; nothing that could make git start other programs.
const KEPT = [
  "PATH",
  "HOME",
  "LANG",
  "LC_ALL",
  "XDG_CONFIG_HOME",
  "GIT_DIR",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_QUARANTINE_PATH",
  "GIT_CONFIG_NOSYSTEM",
  "GIT_CONFIG_SYSTEM",
  "GIT_CONFIG_GLOBAL",
];

/**
 * Runs `git <args>` in the repository being pushed to and resolves with its stdout. Keeps the
 * quarantine variables git gave the hook, without which the pushed objects are invisible.
 * Throws a GuardrailError carrying git's stderr when git fails.
 */
export function git(
  repoDir: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<string> {
  const env: Record<string, string> = {};
  for (const name of KEPT) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, extraEnv);

  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd: repoDir, env, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const detail = stderr.trim().split("\n").slice(-3).join(" / ") || error.message;
        reject(new GuardrailError(`git ${args[0]} failed: ${detail}`, { cause: error }));
      },
    );
  });
}
