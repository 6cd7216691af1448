// removeTree against what tests leave behind, run as an ordinary user (root ignores modes):
// folders without permissions, read-only folders, and symlinks out of the tree.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { PROJECT } from "../support/forgejo-repo.js";
import { asTestUser, chownToTestUser } from "../support/unprivileged.js";

const BUN = join(PROJECT, "node_modules/.bin/bun");

let base: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "guardrail-remove-tree-"));
  chownToTestUser(base);
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

/** Runs removeTree(path) in a bun process as the test user; resolves with its exit and output. */
function removeAsTestUser(path: string): { status: number | null; output: string } {
  const script = `import { removeTree } from ${JSON.stringify(join(PROJECT, "hooks/remove-tree.ts"))};
await removeTree(${JSON.stringify(path)});`;
  const [command, ...args] = asTestUser([BUN, "-e", script]);
  const result = spawnSync(command!, args, { encoding: "utf8", env: { PATH: process.env.PATH } });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("removeTree", () => {
  test("removes folders without permissions and read-only ones, and nothing a symlink points at", () => {
    const outside = join(base, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "keep.txt"), "keep");
    const tree = join(base, "tree");
    mkdirSync(join(tree, "locked/deeper"), { recursive: true });
    mkdirSync(join(tree, "read-only"));
    writeFileSync(join(tree, "read-only/file.txt"), "x");
    symlinkSync(outside, join(tree, "locked/deeper/to-outside"));
    symlinkSync(join(outside, "keep.txt"), join(tree, "read-only/to-file"));
    chownToTestUser(base);
    chmodSync(join(tree, "locked/deeper"), 0o000);
    chmodSync(join(tree, "locked"), 0o000);
    chmodSync(join(tree, "read-only"), 0o555);
    // Plain recursive removal fails here for an ordinary user: the case is real.
    const [rm, ...rmArgs] = asTestUser(["rm", "-rf", tree]);
    expect(spawnSync(rm!, rmArgs).status).not.toBe(0);

    const result = removeAsTestUser(tree);

    expect(result.output).toBe("");
    expect(result.status).toBe(0);
    expect(existsSync(tree)).toBe(false);
    expect(readdirSync(outside)).toEqual(["keep.txt"]);
    expect(statSync(outside).mode & 0o777).toBe(0o755);
  });

  test("is fine with a path that does not exist", () => {
    const result = removeAsTestUser(join(base, "never-made"));
    expect(result.status).toBe(0);
  });

  test("throws when something cannot be removed by its user", () => {
    const tree = join(base, "tree");
    mkdirSync(join(tree, "roots"), { recursive: true });
    writeFileSync(join(tree, "roots/file.txt"), "root's");
    chownToTestUser(tree);
    chmodSync(join(tree, "roots"), 0o755);
    // The inner folder stays root's: the test user cannot empty it.
    spawnSync("chown", ["0:0", join(tree, "roots")]);

    const result = removeAsTestUser(tree);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/EACCES|permission denied/i);
    expect(result.output).toContain(tree);
    expect(existsSync(join(tree, "roots/file.txt"))).toBe(true);
  });
});
