// `verify <file>`: a published backup checked end to end, the way a restore would use it.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { dir as tmpDir } from "tmp-promise";
import { GuardrailError } from "../shared/errors.js";
import { digestGzip } from "./compress.js";
import { readManifestFor } from "./unpack.js";
import { verifySnapshot } from "./verify.js";

export interface BackupVerification {
  file: string;
  check: string;
  tables: Record<string, number>;
}

/** The backup does not match its manifest, or cannot be read at all. */
export class BackupCheckError extends GuardrailError {}

/**
 * Checks the manifest, both sha256 sums, SQLite's own check of the unpacked database, and the
 * table row counts against the manifest. Unpacks into a private temporary folder, always
 * removed. Throws BackupCheckError (or VerificationError) naming the first problem found.
 */
export async function verifyBackupFile(
  path: string,
  check: "quick" | "full",
): Promise<BackupVerification> {
  // Checks that the file exists, is named like a backup and has its manifest beside it.
  const manifest = await readManifestFor(path);
  const scratch = await tmpDir({ prefix: "guardrail-verify-", mode: 0o700 });
  try {
    const unpacked = join(scratch.path, "backup.sqlite3");
    const digests = await digestGzip(path, undefined, unpacked);
    for (const side of ["compressed", "uncompressed"] as const) {
      if (digests[side].sha256 !== manifest[side].sha256) {
        throw new BackupCheckError(
          `${manifest.file}: the ${side} sha256 differs from the manifest`,
          {
            hint: "the file was changed or damaged after it was written; use another backup",
          },
        );
      }
    }
    const inspection = await verifySnapshot(unpacked, check);
    for (const [table, rows] of Object.entries(manifest.tables)) {
      if (inspection.tables[table] !== rows) {
        throw new BackupCheckError(
          `${manifest.file}: table ${table} has ${inspection.tables[table] ?? "no"} rows, the manifest says ${rows}`,
        );
      }
    }
    return { file: manifest.file, check: inspection.check, tables: inspection.tables };
  } finally {
    await rm(scratch.path, { recursive: true, force: true });
  }
}
