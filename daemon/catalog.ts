// What is in a backup folder: each backup this program named, with its manifest when valid.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import {
  ManifestSchema,
  manifestNameFor,
  parseBackupName,
  type BackupName,
  type Manifest,
} from "./manifest.js";

export interface BackupEntry {
  file: string;
  path: string;
  manifestPath: string;
  name: BackupName;
  /** Size of the backup file on disk. */
  bytes: number;
  /** The manifest, when it exists and parses. */
  manifest: Manifest | undefined;
  /** True when the manifest is valid, records a passed check and matches the file's size. */
  verified: boolean;
  /** Why the entry is not verified. */
  problem: string | undefined;
}

/**
 * Lists the backups in `dir` named by this program, newest first (by the time in the name, then
 * the sequence). Other files are ignored. Throws only when the folder cannot be read.
 */
export async function listBackups(dir: string, database?: string): Promise<BackupEntry[]> {
  const files = await readdir(dir);
  const entries: BackupEntry[] = [];

  for (const file of files) {
    const name = parseBackupName(file);
    if (!name || (database !== undefined && name.database !== database)) continue;
    const path = join(dir, file);
    const manifestPath = join(dir, manifestNameFor(file));
    const bytes = await stat(path).then(
      (info) => (info.isFile() ? info.size : -1),
      () => -1,
    );
    if (bytes < 0) continue;
    const { manifest, problem } = await readManifest(manifestPath, file, bytes);
    entries.push({
      file,
      path,
      manifestPath,
      name,
      bytes,
      manifest,
      verified: problem === undefined,
      problem,
    });
  }

  return entries.sort(
    (a, b) => b.name.time.getTime() - a.name.time.getTime() || b.name.sequence - a.name.sequence,
  );
}

/** The newest verified backup in `dir`, if any. */
export async function latestVerified(
  dir: string,
  database?: string,
): Promise<BackupEntry | undefined> {
  return (await listBackups(dir, database)).find((entry) => entry.verified);
}

async function readManifest(
  path: string,
  file: string,
  bytes: number,
): Promise<{ manifest: Manifest | undefined; problem: string | undefined }> {
  let raw: string;
  try {
    raw = await readFile(path, "utf8");
  } catch {
    return { manifest: undefined, problem: "no manifest" };
  }
  let parsed: Manifest;
  try {
    parsed = ManifestSchema.parse(JSON.parse(raw));
  } catch {
    return { manifest: undefined, problem: "manifest does not parse" };
  }
  if (parsed.file !== file) return { manifest: parsed, problem: "manifest names another file" };
  if (parsed.check.result !== "ok") {
    return { manifest: parsed, problem: `check failed: ${parsed.check.result}` };
  }
  if (parsed.compressed.bytes !== bytes) {
    return { manifest: parsed, problem: "size differs from manifest" };
  }
  return { manifest: parsed, problem: undefined };
}
