// Helpers for the push gate's fault suite: what a repository looks like before and after pushed
// code ran, pushing as the unprivileged test user, and finding the hook while it tests.
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { CommandResult, ForgejoRepo } from "./forgejo-repo.js";
import { run } from "./forgejo-repo.js";
import { processesUsing } from "./processes.js";
import { asTestUser, chownToTestUser } from "./unprivileged.js";

/** Everything in a bare repository pushed code could tamper with, hashed file by file. */
export interface RepoState {
  refs: string;
  /** Relative path -> sha256 (or `-> target` for a symlink) of config, hooks/ and info/. */
  files: Record<string, string>;
  objects: string[];
}

/** Reads the refs, the config and hook files, and the list of objects of `repo.bare`. */
export async function repoState(repo: ForgejoRepo): Promise<RepoState> {
  const files: Record<string, string> = {};
  for (const path of ["config", "HEAD", "description", "hooks", "info"]) {
    hashInto(repo.bare, path, files);
  }
  const refs = await repo.git(["for-each-ref", "--format=%(refname) %(objectname)"], repo.bare);
  const objects = await repo.git(
    ["cat-file", "--batch-all-objects", "--batch-check=%(objectname)"],
    repo.bare,
  );
  return { refs, files, objects: objects.split("\n").filter(Boolean).sort() };
}

function hashInto(base: string, path: string, into: Record<string, string>): void {
  const full = join(base, path);
  const info = lstatSync(full, { throwIfNoEntry: false });
  if (!info) return;
  if (info.isSymbolicLink()) into[path] = `-> ${readlinkSync(full)}`;
  else if (info.isDirectory()) {
    for (const entry of readdirSync(full).sort()) hashInto(base, join(path, entry), into);
  } else into[path] = createHash("sha256").update(readFileSync(full)).digest("hex");
}

/**
 * Hands the whole test repository (bare repo, clone, hook temp folder) to the test user and
 * returns a push function that runs `git push` as that user, so the hook and the pushed tests
 * run without root's power to ignore file modes.
 */
export function pushAsTestUser(
  repo: ForgejoRepo,
): (args: string[], env?: Record<string, string>) => Promise<CommandResult> {
  chownToTestUser(repo.root);
  return (args, env = {}) =>
    run("setpriv", asTestUser(["git", "push", ...args]).slice(1), {
      cwd: repo.work,
      env: { HOME: join(repo.root, "home"), TMPDIR: repo.hookTmp, ...env },
    });
}

/**
 * Waits until the hook has made its workspace and a process whose command line matches
 * `command` runs in its checkout (the tests by default, not the install before them); returns
 * the hook's pid.
 */
export async function waitForTestsRunning(
  repo: ForgejoRepo,
  command = /\btest\b/,
  tmp = repo.hookTmp,
): Promise<number> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const workspace = readdirSync(tmp).find((name) => name.startsWith("guardrail-push-"));
    if (workspace) {
      try {
        const pid = Number(readFileSync(join(tmp, workspace, "owner.pid"), "utf8"));
        const running = processesUsing(join(tmp, workspace, "tree")).map(commandLine);
        if (pid > 0 && running.some((line) => command.test(line))) return pid;
      } catch {
        // Not written yet.
      }
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error(`the hook never started ${command}`);
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}
