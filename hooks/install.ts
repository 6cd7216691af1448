// Step: install the pushed commit's dependencies, when it has a package.json: from the
// dependency cache when an earlier push installed the same ones, else with the install command.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describeError } from "../shared/errors.js";
import { openDependencyCache } from "./dep-cache.js";
import { planDependencyReuse } from "./dep-cache-key.js";
import { runStep, type StepOptions, type StepResult } from "./run-step.js";

export interface InstallResult {
  /** True when there was no package.json, so nothing was installed. */
  skipped: boolean;
  /** True when node_modules came from the dependency cache and the command did not run. */
  reused: boolean;
  step: StepResult | undefined;
  /** bun refused because bun.lock does not match package.json. */
  lockfileOutOfStep: boolean;
}

export interface InstallSettings {
  cacheDir: string;
  /** guardrail.reuseDependencies */
  reuseDependencies: boolean;
}

const FROZEN_LOCKFILE = /lockfile had changes, but lockfile is frozen|lockfile is frozen/i;

/**
 * Puts the dependencies of the project in `options.cwd` in place. A failed install is a
 * result, not an error; a dependency cache that cannot be used is only a warning, and the
 * install command runs instead.
 */
export async function installDependencies(
  options: Omit<StepOptions, "verb">,
  settings: InstallSettings,
): Promise<InstallResult> {
  if (!existsSync(join(options.cwd, "package.json"))) {
    return { skipped: true, reused: false, step: undefined, lockfileOutOfStep: false };
  }

  const plan = settings.reuseDependencies
    ? await planDependencyReuse(options.cwd, options.command)
    : undefined;
  const cache = plan?.key ? openDependencyCache(settings.cacheDir) : undefined;
  if (cache && plan?.key) {
    const outcome = guarded(options, () => cache.restore(plan.key, options.cwd, options.deadline));
    if (outcome === "reused") {
      return { skipped: false, reused: true, step: undefined, lockfileOutOfStep: false };
    }
  }

  // bun's package cache belongs to the server's git user; bun writes into it atomically, so
  // concurrent pushes may share it.
  // TODO(dep-isolation): without reuse, bun hard-links its cache into node_modules, so a test
  // that writes into a dependency changes the cache for later pushes (see the dep-cache e2e
  // test). `--backend=copyfile` would stop it at a cost per push; goes when that is measured.
  await mkdir(join(settings.cacheDir, "bun"), { recursive: true, mode: 0o700 });
  let lockfileOutOfStep = false;
  const step = await runStep({
    ...options,
    verb: "installing",
    onLine: (line) => {
      if (FROZEN_LOCKFILE.test(line)) lockfileOutOfStep = true;
    },
  });

  if (step.ok && cache && plan?.key) {
    guarded(options, () => cache.publish(plan.key, options.cwd));
  }
  return { skipped: false, reused: false, step, lockfileOutOfStep: lockfileOutOfStep && !step.ok };
}

// The cache only saves time: when it fails (a full disk, a cacheDir the git user cannot
// write), the push goes on with a normal install and the pusher sees one warning line.
function guarded<T>(options: Omit<StepOptions, "verb">, action: () => T): T | undefined {
  try {
    return action();
  } catch (error) {
    options.say(`warning: dependency cache not used: ${describeError(error)}`);
    return undefined;
  }
}
