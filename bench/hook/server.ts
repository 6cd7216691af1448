// The server side of the hook benchmark: a bare repository with the built push gate installed
// by scripts/install-hook (as a user would), the fixture apps pushed to it, and the two ways of
// running a hook (Guardrail's, and the plain shell hook a user would write) the way git does.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, exec, type ExecResult } from "../exec.js";
import { writeFixtureApp, type AppShape } from "./fixture-app.js";

export const ZERO = "0".repeat(40);

// What a user writes without Guardrail: export the pushed tree, install, test. It runs as the
// git user with that user's HOME, so bun's package cache is the user's normal one.
const PLAIN_HOOK = `#!/bin/sh
set -e
while read old new ref; do
  [ "$ref" = refs/heads/main ] || continue
  [ "$new" = ${ZERO} ] && continue
  dir=$(mktemp -d)
  trap 'rm -rf "$dir"' EXIT
  git archive "$new" | tar -x -C "$dir"
  cd "$dir"
  bun install --frozen-lockfile
  bun test
  cd /
  rm -rf "$dir"
done
`;

export interface Server {
  bare: string;
  /** Guardrail's installed hook (hooks/pre-receive). */
  hook: string;
  /** The plain shell hook, beside the repository (not installed, run the same way). */
  plainHook: string;
  /** Sets one git config key of the bare repository. */
  config(key: string, value: string): Promise<void>;
}

export interface PushedApp {
  name: string;
  shape: AppShape;
  /** The working copy: committed, and with node_modules installed (the "prepared checkout"). */
  dir: string;
  sha: string;
}

/** Creates the bare repository under `root` and installs the push gate with scripts/install-hook. */
export async function createServer(root: string, project: string): Promise<Server> {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const bare = join(root, "app.git");
  const env = baseEnv({ HOME: process.env.HOME });
  await exec("git", ["init", "-q", "--bare", "-b", "main", bare], { env });
  await exec(join(project, "scripts/install-hook"), [bare], { env });
  const plainHook = join(root, "plain-pre-receive");
  writeFileSync(plainHook, PLAIN_HOOK);
  chmodSync(plainHook, 0o755);
  return {
    bare,
    hook: join(bare, "hooks/pre-receive"),
    plainHook,
    async config(key, value) {
      await exec("git", ["config", key, value], { cwd: bare, env });
    },
  };
}

/**
 * Writes the fixture app, runs a real `bun install` (producing bun.lock from the npm registry,
 * through its own cache so the hook's caches stay as the benchmark sets them), commits it, and
 * pushes it to a non-protected branch so its objects are in the repository.
 */
export async function pushApp(
  server: Server,
  dir: string,
  name: string,
  shape: AppShape,
  bun: string,
  genCache: string,
): Promise<PushedApp> {
  writeFixtureApp(dir, shape);
  const env = baseEnv({
    HOME: process.env.HOME,
    BUN_INSTALL_CACHE_DIR: genCache,
    GIT_AUTHOR_NAME: "Bench",
    GIT_AUTHOR_EMAIL: "bench@example.com",
    GIT_COMMITTER_NAME: "Bench",
    GIT_COMMITTER_EMAIL: "bench@example.com",
  });
  await exec(bun, ["install"], { cwd: dir, env });
  const git = (args: string[]) => exec("git", args, { cwd: dir, env });
  await git(["init", "-q", "-b", "main"]);
  await git(["add", "-A"]);
  await git(["commit", "-q", "-m", `fixture ${name}`]);
  const sha = (await git(["rev-parse", "HEAD"])).output.trim();
  await git(["push", "-q", server.bare, `HEAD:refs/heads/seed-${name}`]);
  return { name, shape, dir, sha };
}

/**
 * Runs a pre-receive hook as git would for a push of `sha` to `ref`: working directory the bare
 * repository, GIT_DIR=., the ref line on stdin. The objects are already in the repository, so
 * git's quarantine variables are not needed. Throws when the hook refuses.
 */
export function runHook(
  server: Server,
  hook: string,
  sha: string,
  ref: string,
  env: Record<string, string | undefined>,
): Promise<ExecResult> {
  return exec(hook, [], {
    cwd: server.bare,
    env: { ...env, GIT_DIR: "." },
    input: `${ZERO} ${sha} ${ref}\n`,
  });
}
