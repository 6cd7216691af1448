// The throwaway folder one gated commit is tested in: the exported tree, a private HOME and
// TMPDIR for the tests, and a `bun` that is this very executable.
import { chmod, lstat, mkdir, readdir, readFile, realpath, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dir } from "tmp-promise";
import { killProcessesIn } from "../shared/process.js";
import { removeTree } from "./remove-tree.js";

export interface Workspace {
  root: string;
  /** Where the commit's tree is exported. */
  tree: string;
  home: string;
  tmp: string;
  /** Put first on the tests' PATH: holds `bun` and `bunx`. */
  bin: string;
  /**
   * Stops any process still working in it, then removes everything under `root` and nothing
   * outside it (symlinks are not followed). Safe to call more than once; throws when something
   * cannot be removed.
   */
  remove(): Promise<void>;
}

const PREFIX = "guardrail-push-";
const OWNER_FILE = "owner.pid";

/**
 * Creates a fresh workspace under the system temp folder. The caller must call `remove()` in a
 * `finally`; a workspace left by a killed hook is removed by the next `sweepStaleWorkspaces`.
 * When it cannot be made (a full disk), what was made is removed before the error is thrown.
 */
export async function createWorkspace(): Promise<Workspace> {
  // tmp-promise gives the real path (resolving a symlinked TMPDIR), as /proc shows working
  // folders, so processes left in the workspace can be found by it.
  const root = (await dir({ prefix: PREFIX })).path;
  const workspace: Workspace = {
    root,
    tree: join(root, "tree"),
    home: join(root, "home"),
    tmp: join(root, "tmp"),
    bin: join(root, "bin"),
    remove: () => removeWorkspace(root),
  };

  try {
    await writeFile(join(root, OWNER_FILE), String(process.pid));
    await Promise.all(
      [workspace.tree, workspace.home, workspace.tmp, workspace.bin].map((path) => mkdir(path)),
    );
    await writeBunShims(workspace.bin);
  } catch (error) {
    await removeTree(root).catch(() => {});
    throw error;
  }
  return workspace;
}

// Tests can leave processes behind that escaped both the process group and the environment
// marker `runCommand` kills by (`setsid env -i ...`); those still working in the workspace are
// found by their working folder. One that also left it is out of reach (see docs/security.md).
async function removeWorkspace(root: string): Promise<void> {
  killProcessesIn(await realpath(root).catch(() => root));
  await removeTree(root);
}

/**
 * Removes workspaces whose owning hook process is gone (killed before its `finally` ran), and
 * stops any process still running in them. Only folders of this user are touched: another user
 * could plant one in a shared /tmp, and swap its folders for symlinks while they are made
 * removable. Returns how many it removed; never throws.
 */
export async function sweepStaleWorkspaces(base = tmpdir()): Promise<number> {
  let removed = 0;
  const entries = await readdir(base).catch(() => [] as string[]);
  for (const entry of entries.filter((name) => name.startsWith(PREFIX))) {
    const root = join(base, entry);
    const info = await lstat(root).catch(() => undefined);
    if (!info?.isDirectory() || info.uid !== process.getuid?.()) continue;
    const owner = await readOwner(root);
    if (owner !== undefined && isAlive(owner)) continue;
    // No owner yet: its hook may be between making the folder and writing the file.
    if (owner === undefined && Date.now() - info.mtimeMs < 3_600_000) continue;
    // Its hook was killed before it could stop the tests; they may still be running there.
    await removeWorkspace(root).then(
      () => removed++,
      () => {},
    );
  }
  return removed;
}

/** The pid in the workspace's owner file; undefined when missing or not a pid (`0` is not). */
async function readOwner(root: string): Promise<number | undefined> {
  const text = await readFile(join(root, OWNER_FILE), "utf8").catch(() => "");
  return /^[1-9]\d*$/.test(text.trim()) ? Number(text.trim()) : undefined;
}

// The compiled hook carries a complete bun: with BUN_BE_BUN=1 it behaves as the bun CLI, so
// the server needs no bun of its own and the tests run on the bun version the hook was built with.
async function writeBunShims(bin: string): Promise<void> {
  const self = process.execPath.replaceAll("'", "'\\''");
  const shims = {
    bun: `#!/bin/sh\nBUN_BE_BUN=1 exec '${self}' "$@"\n`,
    bunx: `#!/bin/sh\nBUN_BE_BUN=1 exec '${self}' x "$@"\n`,
  };
  for (const [name, body] of Object.entries(shims)) {
    await writeFile(join(bin, name), body);
    await chmod(join(bin, name), 0o755);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
