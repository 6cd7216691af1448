// Pushing as the unprivileged test user, as a real git user would: root is not bound by the
// process limit, and sandboxes behave differently for it.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { run, type CommandResult, type ForgejoRepo } from "./forgejo-repo.js";
import { asTestUser, chownToTestUser } from "./unprivileged.js";

/**
 * Gives everything of `repo` to the test user, then runs `git push origin main` as that user
 * with a HOME of its own and `env` added. After it, root reads the repository only with
 * `-c safe.directory=*`.
 */
export function pushAsTestUser(
  repo: ForgejoRepo,
  env: Record<string, string> = {},
): Promise<CommandResult> {
  const home = join(repo.root, "home");
  mkdirSync(home, { recursive: true });
  chownToTestUser(repo.root);
  const [command = "", ...args] = asTestUser(["git", "push", "origin", "main"]);
  return run(command, args, {
    cwd: repo.work,
    env: { TMPDIR: repo.hookTmp, HOME: home, XDG_CONFIG_HOME: join(home, ".config"), ...env },
  });
}
