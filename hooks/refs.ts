// Parsing the ref updates git hands a pre-receive hook on stdin.
import { GuardrailError } from "../shared/errors.js";

export type RefChange = "create" | "update" | "delete";

export interface RefUpdate {
  oldSha: string;
  newSha: string;
  ref: string;
  change: RefChange;
}

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const ZERO = /^0+$/;

/**
 * Parses `<old> <new> <refname>` lines (SHA-1 or SHA-256 ids; all zeros mean create or delete).
 * The last line may lack its newline and blank lines are ignored. Throws on anything else, so a
 * hook that cannot read its input refuses the push instead of guessing.
 */
export function parseRefUpdates(input: string): RefUpdate[] {
  const updates: RefUpdate[] = [];

  for (const [index, raw] of input.split("\n").entries()) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") continue;

    const [oldSha, newSha, ref, ...rest] = line.split(" ");
    const where = `ref line ${index + 1} (${JSON.stringify(line.slice(0, 200))})`;
    if (!oldSha || !newSha || !ref || rest.length > 0) {
      throw new GuardrailError(`cannot read ${where}: expected "<old> <new> <refname>"`);
    }
    if (!OBJECT_ID.test(oldSha) || !OBJECT_ID.test(newSha) || oldSha.length !== newSha.length) {
      throw new GuardrailError(`cannot read ${where}: object ids must be 40 or 64 hex digits`);
    }
    if (!ref.startsWith("refs/")) {
      throw new GuardrailError(`cannot read ${where}: ref name must start with refs/`);
    }
    if (ZERO.test(oldSha) && ZERO.test(newSha)) {
      throw new GuardrailError(`cannot read ${where}: both object ids are zero`);
    }

    const change: RefChange = ZERO.test(oldSha)
      ? "create"
      : ZERO.test(newSha)
        ? "delete"
        : "update";
    updates.push({ oldSha, newSha, ref, change });
  }

  return updates;
}

/** The branch name of a `refs/heads/` ref, or undefined for any other ref. */
export function branchOf(ref: string): string | undefined {
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined;
}

/** The first characters of an object id, as people quote them. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
