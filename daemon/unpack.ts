// Turning a backup back into a database file: the gzip's sha256 must match its manifest, the
// decompressed bytes must match too, and the result is flushed to disk before anyone uses it.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, readFile, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { GuardrailError } from "../shared/errors.js";
import { BACKUP_SUFFIX, ManifestSchema, manifestNameFor, type Manifest } from "./manifest.js";

/** A backup that cannot be used: missing, not a file, no manifest, truncated or altered. */
export class BackupUnusableError extends GuardrailError {}

/** Reads and validates the manifest beside `backupPath`; throws BackupUnusableError. */
export async function readManifestFor(backupPath: string): Promise<Manifest> {
  const info = await stat(backupPath).catch((cause: unknown) => {
    throw new BackupUnusableError(`no backup at ${backupPath}`, {
      cause,
      hint: "give a backup file path or the name of a file in BACKUP_DIR (see `list`)",
    });
  });
  if (!info.isFile() || !basename(backupPath).endsWith(BACKUP_SUFFIX)) {
    throw new BackupUnusableError(`${backupPath} is not a backup file (*${BACKUP_SUFFIX})`, {
      hint: "give a backup file, not a folder; `list` shows the backups",
    });
  }
  const manifestPath = join(dirname(backupPath), manifestNameFor(basename(backupPath)));
  let manifest: Manifest;
  try {
    manifest = ManifestSchema.parse(JSON.parse(await readFile(manifestPath, "utf8")));
  } catch (cause) {
    throw new BackupUnusableError(`the manifest ${manifestPath} is missing or invalid`, {
      cause,
      hint: "without its manifest a backup cannot be verified; copy the .json beside it",
    });
  }
  if (manifest.file !== basename(backupPath)) {
    throw new BackupUnusableError(`the manifest ${manifestPath} describes ${manifest.file}`);
  }
  return manifest;
}

/** Feeds every chunk to a sha256 and a byte count while passing it on unchanged. */
function hashingTap(): { tap: Transform; digest: () => { sha256: string; bytes: number } } {
  const hash = createHash("sha256");
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { tap, digest: () => ({ sha256: hash.digest("hex"), bytes }) };
}

/**
 * Decompresses `backupPath` into a new file `destPath` (mode 0600, never overwriting), checking
 * both sha256 sums of `manifest` in the same pass, then fsyncs it. On any failure `destPath` is
 * removed and BackupUnusableError is thrown; the backup itself is never changed.
 */
export async function unpackBackup(
  backupPath: string,
  manifest: Manifest,
  destPath: string,
): Promise<void> {
  const compressed = hashingTap();
  const plain = hashingTap();
  try {
    try {
      await pipeline(
        createReadStream(backupPath),
        compressed.tap,
        createGunzip(),
        plain.tap,
        createWriteStream(destPath, { flags: "wx", mode: 0o600 }),
      );
    } catch (cause) {
      const code = String((cause as NodeJS.ErrnoException).code ?? "");
      if (code === "EEXIST") throw cause;
      if (!code.startsWith("Z_")) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new GuardrailError(`could not decompress ${backupPath} into ${destPath}: ${reason}`, {
          cause,
          hint: "check free space and permissions in that folder",
        });
      }
      throw new BackupUnusableError(`${backupPath} is truncated or not a valid gzip file`, {
        cause,
        hint: "use another backup (see `list`); this one cannot be restored",
      });
    }
    const got = { compressed: compressed.digest(), plain: plain.digest() };
    if (got.compressed.sha256 !== manifest.compressed.sha256) {
      throw new BackupUnusableError(`${backupPath} does not match its manifest's sha256`, {
        hint: "the file was altered or damaged after it was written; use another backup",
      });
    }
    if (got.plain.sha256 !== manifest.uncompressed.sha256) {
      throw new BackupUnusableError(`${backupPath} decompresses to bytes its manifest disowns`);
    }
    await fsyncFile(destPath);
  } catch (error) {
    // "wx" failing means the file was someone else's: leave it alone.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") await rm(destPath, { force: true });
    throw error;
  }
}

/** Flushes a file's data to disk (fsync applies to the file, whichever descriptor asks). */
async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
