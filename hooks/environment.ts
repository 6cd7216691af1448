// The environment pushed code runs in. Pushed code is untrusted: it gets an allow-list, never
// the hook's own environment, which holds git's repository pointers and Forgejo's secrets.
import { join } from "node:path";
import type { HookConfig } from "./config.js";
import type { Workspace } from "./workspace.js";

const FALLBACK_PATH = "/usr/local/bin:/usr/bin:/bin";

/**
 * The complete environment for the install and test commands: PATH (with this hook's bun first),
 * LANG, TZ, HOME and TMPDIR inside the workspace, CI=true, bun's shared package and transpiler
 * caches, and the names listed in guardrail.passEnv that are set. No GIT_*, GITEA_*, FORGEJO__*
 * or SSH_* name can reach it (config validation refuses them in passEnv), so a test's own
 * `git init` cannot touch the repository being pushed to.
 */
export function buildTestEnvironment(
  config: HookConfig,
  workspace: Workspace,
  hookEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {
    PATH: `${workspace.bin}:${hookEnv.PATH || FALLBACK_PATH}`,
    LANG: hookEnv.LANG || "C.UTF-8",
    TZ: hookEnv.TZ || "UTC",
    HOME: workspace.home,
    TMPDIR: workspace.tmp,
    CI: "true",
    BUN_INSTALL_CACHE_DIR: join(config.cacheDir, "bun"),
    // HOME is new on every push, so bun's cache of transpiled sources would be cold each time.
    BUN_RUNTIME_TRANSPILER_CACHE_PATH: join(config.cacheDir, "transpiler"),
    // Keep bun from phoning home on every push.
    DO_NOT_TRACK: "1",
  };

  for (const name of config.passEnv) {
    const value = hookEnv[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
