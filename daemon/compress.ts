// Step 3: streaming gzip with a sha256 of both sides, then the gzip read back and checked.
// Memory stays flat whatever the database size: everything is a stream.
import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import { GuardrailError } from "../shared/errors.js";

/** Large buffers: with Node's 64 KiB default, stream overhead costs a fifth of the time. */
const CHUNK = 1024 * 1024;

export interface Digest {
  bytes: number;
  sha256: string;
}

export interface CompressResult {
  uncompressed: Digest;
  compressed: Digest;
}

/** A pass-through stream that hashes and counts what flows through it. */
function digestTap(onBytes?: (bytes: number) => void): { tap: Transform; digest: () => Digest } {
  const hash: Hash = createHash("sha256");
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes?.(bytes);
      callback(null, chunk);
    },
  });
  return { tap, digest: () => ({ bytes, sha256: hash.digest("hex") }) };
}

/** Compresses `source` into the new file `target` (mode 0600), fsynced before returning. */
export async function compressFile(
  source: string,
  target: string,
  level: number,
  options: { signal?: AbortSignal; onBytes?: (bytes: number) => void } = {},
): Promise<CompressResult> {
  const plain = digestTap(options.onBytes);
  const packed = digestTap();
  await pipeline(
    createReadStream(source, { highWaterMark: CHUNK }),
    plain.tap,
    createGzip({ level, chunkSize: 256 * 1024 }),
    packed.tap,
    createWriteStream(target, { flags: "wx", mode: 0o600 }),
    { signal: options.signal },
  );
  const handle = await open(target, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { uncompressed: plain.digest(), compressed: packed.digest() };
}

/** The gzip file does not hold what was written. */
export class ReadBackError extends GuardrailError {}

/**
 * Reads a gzip file back and returns the digests of both sides; throws ReadBackError if it does
 * not inflate. With `unpackTo`, the inflated bytes are also written to that new file (0600).
 */
export async function digestGzip(
  path: string,
  signal?: AbortSignal,
  unpackTo?: string,
): Promise<CompressResult> {
  const packed = digestTap();
  const plain = digestTap();
  const sink = unpackTo
    ? createWriteStream(unpackTo, { flags: "wx", mode: 0o600 })
    : new Writable({ write: (_chunk, _encoding, callback) => callback() });
  try {
    await pipeline(
      createReadStream(path, { highWaterMark: CHUNK }),
      packed.tap,
      createGunzip({ chunkSize: 256 * 1024 }),
      plain.tap,
      sink,
      { signal },
    );
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ReadBackError(`${path} is not a complete gzip file`, { cause: error });
  }
  return { uncompressed: plain.digest(), compressed: packed.digest() };
}

/** Checks a gzip file against the digests recorded when it was written. */
export async function checkGzip(
  path: string,
  expected: CompressResult,
  signal?: AbortSignal,
): Promise<void> {
  const actual = await digestGzip(path, signal);
  for (const side of ["compressed", "uncompressed"] as const) {
    if (
      actual[side].sha256 !== expected[side].sha256 ||
      actual[side].bytes !== expected[side].bytes
    ) {
      throw new ReadBackError(
        `${path}: ${side} bytes differ from what was written (sha256 ${actual[side].sha256}, expected ${expected[side].sha256})`,
        { hint: "the disk or filesystem under BACKUP_DIR may be failing" },
      );
    }
  }
}
