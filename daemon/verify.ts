// Step 2: SQLite's own check of the snapshot, plus the facts the manifest records.
import { GuardrailError } from "../shared/errors.js";
import { runSqliteJob, type Inspection } from "./sqlite-worker.js";

/** The snapshot failed PRAGMA quick_check / integrity_check. */
export class VerificationError extends GuardrailError {}

/**
 * Runs `quick_check` or `integrity_check` on the snapshot in a worker thread and reads its page
 * count, user_version and table row counts. Throws VerificationError when the check fails.
 */
export async function verifySnapshot(
  file: string,
  check: "quick" | "full",
  signal?: AbortSignal,
): Promise<Inspection> {
  const inspection = await runSqliteJob({ kind: "inspect", file, check }, signal);
  if (inspection.check !== "ok") {
    throw new VerificationError(
      `${check === "full" ? "integrity_check" : "quick_check"} failed on the snapshot: ${inspection.check}`,
      { hint: "the live database is damaged; older backups are untouched, restore one of them" },
    );
  }
  return inspection;
}
