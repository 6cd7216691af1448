// Checking the files bun reads on its own (package.json, lockfiles, bunfig.toml, .npmrc, .env)
// before it runs: a pushed commit can make any of them a symlink, and bun follows it. A
// `bun.lock -> /dev/zero` grew the install to 24 GB before the OOM killer; a `bun.lock` pointing
// at a file of the server's had its first line printed to the pusher in bun's parse error.
import { lstat, realpath, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { GuardrailError } from "../shared/errors.js";
import { shortSha } from "./refs.js";

/**
 * What bun install and bun test read by name: the project and lock files, bun's and npm's
 * settings, and the .env files bun loads into every command's environment.
 */
export const INSTALL_FILES = [
  "package.json",
  "bun.lock",
  "bun.lockb",
  "bunfig.toml",
  ".npmrc",
  ".env",
  ".env.local",
  ".env.development",
  ".env.production",
  ".env.test",
  ".env.development.local",
  ".env.production.local",
  ".env.test.local",
];

/**
 * Throws, naming the file and why, when one of INSTALL_FILES in `cwd` or a folder above it up
 * to `tree` is a symlink that leads out of `tree`, to nothing, or to something that is not a
 * regular file (a folder, a device, a fifo). A symlink to a regular file inside `tree` is
 * fine. Only lstat, realpath and stat are used: nothing is opened, so a fifo cannot block the
 * hook and no content of a file outside the tree can reach a message.
 */
export async function refuseUnsafeInstallFiles(
  tree: string,
  cwd: string,
  sha: string,
): Promise<void> {
  const root = await realpath(tree);
  for (const dir of foldersUpTo(root, cwd)) {
    for (const name of INSTALL_FILES) {
      const path = join(dir, name);
      const problem = await symlinkProblem(root, path);
      if (!problem) continue;
      const shown = relative(root, path);
      throw new GuardrailError(`${shown} in ${shortSha(sha)} is a symlink ${problem}`, {
        hint: `bun would follow it; commit ${shown} as a regular file, or a symlink to one inside the repository`,
      });
    }
  }
}

/** `cwd` and each folder above it, up to and including `root`. */
function foldersUpTo(root: string, cwd: string): string[] {
  const folders = [cwd];
  for (let dir = cwd; dir !== root && dir.startsWith(root + sep);) {
    dir = dirname(dir);
    folders.push(dir);
  }
  return folders;
}

/** Why the symlink at `path` may not be followed, or undefined when it is fine or no symlink. */
async function symlinkProblem(root: string, path: string): Promise<string | undefined> {
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isSymbolicLink()) return undefined;

  const target = await realpath(path).catch(() => undefined);
  if (target === undefined) return "to nothing (its target is missing or loops)";
  if (!target.startsWith(root + sep)) return "that leads out of the files of the commit";
  const kind = await stat(target).catch(() => undefined);
  if (!kind) return "to nothing (its target is missing)";
  if (kind.isFile()) return undefined;
  return `to ${kindOf(kind)}, not a regular file`;
}

function kindOf(info: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }) {
  if (info.isDirectory()) return "a folder";
  if (info.isFIFO()) return "a fifo";
  if (info.isSocket()) return "a socket";
  return "a device";
}
