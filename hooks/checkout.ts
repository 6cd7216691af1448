// Exporting a pushed commit's tree. The pushed objects are still in git's quarantine, where
// clone, worktree and every ref update fail, so the tree goes through a throwaway index file:
// `read-tree -u` fills the index and writes the files in one git call, and nothing is written
// to the repository.
import { join } from "node:path";
import { GuardrailError } from "../shared/errors.js";
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
    throw new GuardrailError(`could not export the files of ${shortSha(sha)}`, {
      cause: error,
      hint: "check the disk space and permissions of the temp folder",
    });
  }
}
