// The files bun reads by name, checked in real folders before bun runs: symlinks out of the
// tree, to nothing, or to something other than a regular file are refused by name.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { refuseUnsafeInstallFiles } from "../../hooks/install-files.js";

const SHA = "c0ffee".padEnd(40, "0");

let base: string;
let tree: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "guardrail-install-files-"));
  tree = join(base, "tree");
  mkdirSync(join(tree, "app"), { recursive: true });
  writeFileSync(join(tree, "app/package.json"), "{}");
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

function check(cwd = join(tree, "app")): Promise<void> {
  return refuseUnsafeInstallFiles(tree, cwd, SHA);
}

function mkfifo(path: string): void {
  const made = spawnSync("mkfifo", [path], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
}

describe("refuseUnsafeInstallFiles", () => {
  test("passes regular files and a symlink to a regular file inside the tree", async () => {
    writeFileSync(join(tree, "shared.lock"), "lockfile");
    symlinkSync("../shared.lock", join(tree, "app/bun.lock"));
    writeFileSync(join(tree, "bunfig.toml"), "");
    await expect(check()).resolves.toBeUndefined();
  });

  test("refuses a symlink to /dev/zero, saying it leads out of the commit", async () => {
    symlinkSync("/dev/zero", join(tree, "app/bun.lock"));
    await expect(check()).rejects.toThrow(
      "app/bun.lock in c0ffee0 is a symlink that leads out of the files of the commit",
    );
  });

  test("refuses a symlink to a file outside the tree without reading it", async () => {
    writeFileSync(join(base, "secret"), "the-secret-line\n");
    symlinkSync(join(base, "secret"), join(tree, "app/.npmrc"));
    const error = await check().catch((thrown: unknown) => thrown as Error & { hint: string });
    expect(error?.message).toContain("app/.npmrc in c0ffee0 is a symlink that leads out");
    expect(`${error?.message} ${error?.hint}`).not.toContain("the-secret-line");
  });

  test("refuses a symlink to a fifo inside the tree, without blocking on it", async () => {
    mkfifo(join(tree, "pipe"));
    symlinkSync("../pipe", join(tree, "app/bunfig.toml"));
    await expect(check()).rejects.toThrow(
      "app/bunfig.toml in c0ffee0 is a symlink to a fifo, not a regular file",
    );
  });

  test("refuses a symlink to a folder, and one to nothing", async () => {
    symlinkSync(".", join(tree, "app/bun.lockb"));
    await expect(check()).rejects.toThrow("app/bun.lockb in c0ffee0 is a symlink to a folder");
    rmSync(join(tree, "app/bun.lockb"));
    symlinkSync("missing", join(tree, "app/.env"));
    await expect(check()).rejects.toThrow("app/.env in c0ffee0 is a symlink to nothing");
  });

  test("checks the folders above the workdir up to the tree's root, and nothing above it", async () => {
    symlinkSync("/etc/hostname", join(base, "package.json"));
    await expect(check()).resolves.toBeUndefined();
    symlinkSync("/dev/zero", join(tree, "bunfig.toml"));
    await expect(check()).rejects.toThrow("bunfig.toml in c0ffee0 is a symlink that leads out");
  });
});
