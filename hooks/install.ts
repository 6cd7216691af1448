// Step: install the pushed commit's dependencies, when it has a package.json.
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { runStep, type StepOptions, type StepResult } from "./run-step.js";

export interface InstallResult {
  /** True when there was no package.json, so nothing was installed. */
  skipped: boolean;
  step: StepResult | undefined;
  /** bun refused because bun.lock does not match package.json. */
  lockfileOutOfStep: boolean;
}

const FROZEN_LOCKFILE = /lockfile had changes, but lockfile is frozen|lockfile is frozen/i;

/** Runs the install command in `options.cwd` when a package.json is there. */
export async function installDependencies(
  options: Omit<StepOptions, "verb">,
  cacheDir: string,
): Promise<InstallResult> {
  if (!existsSync(join(options.cwd, "package.json"))) {
    return { skipped: true, step: undefined, lockfileOutOfStep: false };
  }

  // The shared package cache belongs to the server's git user; bun writes into it atomically,
  // so concurrent pushes may share it.
  // TODO(dep-reuse): a warm install still costs ~50 ms of hard links; reusing a node_modules
  // kept per hash of bun.lock would skip it, once tests that write into node_modules are
  // handled (they would change the shared copy). Goes when that copy can be made safely.
  await mkdir(join(cacheDir, "bun"), { recursive: true, mode: 0o700 });

  let lockfileOutOfStep = false;
  const step = await runStep({
    ...options,
    verb: "installing",
    onLine: (line) => {
      if (FROZEN_LOCKFILE.test(line)) lockfileOutOfStep = true;
    },
  });
  return { skipped: false, step, lockfileOutOfStep: lockfileOutOfStep && !step.ok };
}
