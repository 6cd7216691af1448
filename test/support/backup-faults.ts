// What the sidecar's fault cases check again and again: the files under final names are all
// complete and verified, older backups are byte-identical, nothing temporary is left; and a way
// to run the built CLI as a child whose JSON log lines can be watched while it runs.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { expect } from "vitest";
import { listBackups } from "../../daemon/catalog.js";
import { digestGzip } from "../../daemon/compress.js";
import { BACKUP_SUFFIX, MANIFEST_SUFFIX, TEMP_PREFIX } from "../../daemon/manifest.js";
import { CLI } from "./backup-env.js";

/** Backups and manifests under final names, sorted. */
export function finalNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => !file.startsWith(TEMP_PREFIX))
    .filter((file) => file.endsWith(BACKUP_SUFFIX) || file.endsWith(MANIFEST_SUFFIX))
    .sort();
}

/** Files carrying the temporary prefix, sorted. */
export function temporaryNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.startsWith(TEMP_PREFIX))
    .sort();
}

/** sha256 of each file under a final name: compare before and after to prove nothing changed. */
export function hashFinalFiles(dir: string): Record<string, string> {
  const hashes: Record<string, string> = {};
  for (const file of finalNames(dir)) {
    hashes[file] = createHash("sha256")
      .update(readFileSync(join(dir, file)))
      .digest("hex");
  }
  return hashes;
}

/**
 * Asserts that every file under a final name is a complete, verified backup or its manifest:
 * each backup has a valid manifest with a passed check, and its gzip inflates to exactly the
 * bytes and sha256s the manifest records. Returns the backups' names, newest first.
 */
export async function expectOnlyVerifiedBackups(dir: string): Promise<string[]> {
  const entries = await listBackups(dir);
  for (const entry of entries) {
    expect(entry.problem, entry.file).toBeUndefined();
    const digests = await digestGzip(entry.path);
    expect(digests.compressed, entry.file).toEqual(entry.manifest?.compressed);
    expect(digests.uncompressed, entry.file).toEqual(entry.manifest?.uncompressed);
  }
  const backups = entries.map((entry) => entry.file);
  const manifests = backups.map((file) => file.slice(0, -BACKUP_SUFFIX.length) + MANIFEST_SUFFIX);
  expect(finalNames(dir)).toEqual([...backups, ...manifests].sort());
  return backups;
}

export interface CliChild {
  child: ChildProcess;
  /** JSON lines written to stdout so far. */
  lines: Record<string, unknown>[];
  stderr: () => string;
  /** Exit code, or the signal's name when killed. */
  exited: Promise<number | string>;
}

/**
 * Starts the built CLI with exactly `env` (plus PATH), optionally under `umask`, optionally as
 * another argv prefix (e.g. asTestUser). stdout is parsed as JSON lines as they come.
 */
export function spawnCli(
  args: string[],
  env: Record<string, string>,
  options: { umask?: string; prefix?: string[] } = {},
): CliChild {
  const node = [process.execPath, CLI, ...args];
  const argv = options.umask
    ? ["sh", "-c", `umask ${options.umask} && exec "$@"`, "sh", ...node]
    : node;
  const [command, ...rest] = [...(options.prefix ?? []), ...argv];
  const child = spawn(command!, rest, {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on("line", (text) => {
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>);
    } catch {
      // Not a log line.
    }
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  return { child, lines, stderr: () => stderr, exited };
}

/**
 * Polls `condition` every 2 ms until it holds; throws if `alive()` turns false first (the
 * process under test ended before the awaited moment, so the case would test nothing).
 */
export async function waitFor(condition: () => boolean, alive: () => boolean, what: string) {
  while (!condition()) {
    if (!alive()) throw new Error(`the process ended before ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** True once `pid` is stopped (SIGSTOP, state T in /proc). */
export function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "T";
  } catch {
    return false;
  }
}

/** Inflates the backup `gzPath` into `to` (a new file) and returns `to`, ready to open. */
export async function unpackBackup(gzPath: string, to: string): Promise<string> {
  await digestGzip(gzPath, undefined, to);
  return to;
}
