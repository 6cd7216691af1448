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
const FORMAT_HINT =
  'git writes one "<old> <new> <refname>" line per ref; if a wrapper script stands between git and the hook, make it pass stdin on unchanged';

/**
 * Parses `<old> <new> <refname>` lines (SHA-1 or SHA-256 ids; all zeros mean create or delete).
 * The last line may lack its newline, a CR before the newline is dropped, and blank lines are
 * ignored. Throws on anything else, on a ref named twice and on input without any ref, since
 * git never sends those: a hook that cannot read its input refuses the push instead of guessing.
 */
export function parseRefUpdates(input: string): RefUpdate[] {
  const updates: RefUpdate[] = [];
  const lineOfRef = new Map<string, number>();

  for (const [index, raw] of input.split("\n").entries()) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") continue;

    const [oldSha, newSha, ref, ...rest] = line.split(" ");
    const where = `ref line ${index + 1} (${JSON.stringify(line.slice(0, 200))})`;
    const refuse = (problem: string) =>
      new GuardrailError(`cannot read ${where}: ${problem}`, { hint: FORMAT_HINT });
    if (!oldSha || !newSha || !ref || rest.length > 0) {
      throw refuse('expected "<old> <new> <refname>" separated by single spaces');
    }
    if (!OBJECT_ID.test(oldSha) || !OBJECT_ID.test(newSha) || oldSha.length !== newSha.length) {
      throw refuse("object ids must be 40 or 64 lower-case hex digits, both of the same length");
    }
    if (!ref.startsWith("refs/")) throw refuse("ref name must start with refs/");
    if (hasControlCharacter(ref)) throw refuse("ref name holds a control character");
    if (ZERO.test(oldSha) && ZERO.test(newSha)) throw refuse("both object ids are zero");
    const earlier = lineOfRef.get(ref);
    if (earlier !== undefined) throw refuse(`${ref} was already updated on line ${earlier}`);
    lineOfRef.set(ref, index + 1);

    const change: RefChange = ZERO.test(oldSha)
      ? "create"
      : ZERO.test(newSha)
        ? "delete"
        : "update";
    updates.push({ oldSha, newSha, ref, change });
  }

  if (updates.length === 0) {
    throw new GuardrailError("no ref updates on stdin: git always sends at least one", {
      hint: FORMAT_HINT,
    });
  }
  return updates;
}

// Git refuses these in ref names (git check-ref-format); echoed back in a message they could
// also rewrite the pusher's terminal.
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** The branch name of a `refs/heads/` ref, or undefined for any other ref. */
export function branchOf(ref: string): string | undefined {
  return ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined;
}

/** The first characters of an object id, as people quote them. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
