// Exporting a pushed commit's tree. The pushed objects are still in git's quarantine, where
// clone, worktree and every ref update fail, so the tree goes through a throwaway index file:
// `read-tree -u` fills the index and writes the files in one git call, and nothing is written
// to the repository.
import { realpath, stat } from "node:fs/promises";
import { dirname, join, sep } from "node:path";
import { GuardrailError } from "../shared/errors.js";
import { failIfDiskFull } from "./disk-space.js";
import { git } from "./git.js";
import { shortSha } from "./refs.js";

/**
 * Writes the files of commit `sha` into the existing, empty folder `dest`, using `scratch` for
 * the temporary index. Throws when `sha` is not a commit or git fails.
 */
export async function exportCommit(
  repoDir: string,
  sha: string,
  dest: string,
  scratch: string,
): Promise<void> {
  const env = { GIT_INDEX_FILE: join(scratch, "guardrail-index"), GIT_WORK_TREE: dest };

  try {
    await git(repoDir, ["read-tree", "-u", "--reset", `${sha}^{commit}`], env);
  } catch (error) {
    // Only now ask why, so the common path stays one git call.
    const type = (await git(repoDir, ["cat-file", "-t", sha]).catch(() => "missing object")).trim();
    if (type !== "commit") {
      throw new GuardrailError(`${shortSha(sha)} is a ${type}, not a commit`, {
        hint: "protected branches must point at commits",
      });
    }
    await failIfDiskFull(dirname(scratch), `exporting the files of ${shortSha(sha)}`);
    throw new GuardrailError(`could not export the files of ${shortSha(sha)}`, {
      cause: error,
      hint: "check the disk space and permissions of the temp folder",
    });
  }
}

/**
 * The folder of the exported tree the commands run in: `workdir` (already checked by the config
 * to hold no `..` and not be absolute) resolved with its symlinks. Throws when it is missing, is
 * not a folder, or leads out of the tree: a pushed commit can make `workdir` a symlink to `/`
 * or to the repository, and its tests must not run there.
 */
export async function resolveWorkdir(tree: string, workdir: string, sha: string): Promise<string> {
  const root = await realpath(tree);
  const found = await realpath(join(root, workdir)).catch(() => undefined);
  const isFolder = found !== undefined && (await stat(found)).isDirectory();
  const hint = "push a commit that has it, or have the server's admin change guardrail.workdir";

  if (!found || !isFolder) {
    throw new GuardrailError(`guardrail.workdir "${workdir}" is not a folder of ${shortSha(sha)}`, {
      hint,
    });
  }
  if (found !== root && !found.startsWith(root + sep)) {
    throw new GuardrailError(
      `guardrail.workdir "${workdir}" leads out of the files of ${shortSha(sha)} through a symlink`,
      { hint: "make it a real folder in the commit, not a symlink to somewhere else" },
    );
  }
  return found;
}
