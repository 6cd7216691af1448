// Telling a full disk apart from failing tests. A step that dies of ENOSPC prints whatever its
// tool prints (or nothing), so the hook asks the filesystem itself after a failed step.
import { statfs } from "node:fs/promises";
import { GuardrailError } from "../shared/errors.js";

/**
 * Below this much space left for unprivileged writers the filesystem counts as full: a write
 * that failed for lack of space leaves a few blocks at most, while tests that fail for their own
 * reasons almost never leave less than a megabyte behind.
 */
const FULL_BELOW_BYTES = 1024 * 1024;

/** The temp folder's disk filled up while the hook was checking a push. */
export class DiskFullError extends GuardrailError {}

/**
 * Throws DiskFullError when the filesystem holding `dir` is (nearly) full, saying what was being
 * done and what to do. Resolves quietly otherwise, and when the space cannot be read at all (the
 * step's own failure is then reported as usual).
 */
export async function failIfDiskFull(dir: string, doing: string): Promise<void> {
  const info = await statfs(dir).catch(() => undefined);
  if (!info) return;
  const free = info.bavail * info.bsize;
  if (free >= FULL_BELOW_BYTES) return;

  const total = info.blocks * info.bsize;
  throw new DiskFullError(
    `no space left on device: the disk of the temp folder ${dir} filled up while ${doing} ` +
      `(${kib(free)} KiB free of ${kib(total)} KiB)`,
    {
      hint: `free disk space there, or give the hook a TMPDIR on a larger disk; then push again`,
    },
  );
}

function kib(bytes: number): number {
  return Math.floor(bytes / 1024);
}
