// The hook's own git commands, run with simple-git inside the push's quarantine.
import { simpleGit, type SimpleGit } from "simple-git";

// Git gets an allow-listed environment, as the tests do: what locates the repository, the
// quarantined objects and the configuration. Nothing else is needed by the local, read-only
// commands the hook runs, and simple-git rightly refuses variables (EDITOR, GIT_SSH, ...) that
// could make git start other programs.
const KEPT = new Set([
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
]);

/**
 * A simple-git client for the repository being pushed to. It keeps the quarantine variables git
 * gave the hook, without which the pushed objects are invisible, and adds `extraEnv`.
 */
export function repositoryGit(repoDir: string, extraEnv: Record<string, string> = {}): SimpleGit {
  const env: Record<string, string> = { ...extraEnv };
  for (const name of KEPT) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  const allowEnvironment = Object.keys(env).filter((name) => name.startsWith("GIT_"));
  return simpleGit({ baseDir: repoDir, allowEnvironment }).env(env);
}
