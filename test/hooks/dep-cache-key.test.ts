// Which commits may reuse installed dependencies, and when the key must change.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { planDependencyReuse } from "../../hooks/dep-cache-key.js";

const INSTALL = "bun install --frozen-lockfile";
const LOCK = '{ "lockfileVersion": 1, "packages": { "left-pad": ["left-pad@1.3.0", "", {}] } }\n';
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "guardrail-dep-key-"));
  project({ dependencies: { "left-pad": "1.3.0" } });
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function project(pkg: object, lock = LOCK): void {
  writeFileSync(join(dir, "package.json"), JSON.stringify(pkg));
  writeFileSync(join(dir, "bun.lock"), lock);
}

const keyOf = async (command = INSTALL) => (await planDependencyReuse(dir, command)).key;
const reasonOf = async (command = INSTALL) => (await planDependencyReuse(dir, command)).reason;

describe("the key", () => {
  test("is the same for the same package.json, lockfile and install command", async () => {
    const first = await keyOf();
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(await keyOf()).toBe(first);
  });

  test("changes with the lockfile, package.json, bunfig.toml, .npmrc and the command", async () => {
    const keys = new Set([await keyOf()]);
    project({ dependencies: { "left-pad": "1.3.0" } }, LOCK.replace("1.3.0", "1.2.0"));
    keys.add(await keyOf());
    project({ dependencies: { "left-pad": "1.3.0" }, description: "x" });
    keys.add(await keyOf());
    writeFileSync(join(dir, "bunfig.toml"), '[install]\nregistry = "http://127.0.0.1:1/"\n');
    keys.add(await keyOf());
    writeFileSync(join(dir, ".npmrc"), "registry=http://127.0.0.1:2/\n");
    keys.add(await keyOf());
    keys.add(await keyOf("bun install --frozen-lockfile --production"));
    expect(keys.size).toBe(6);
  });
});

describe("no reuse, and the install runs as usual", () => {
  test("when the install command does more than bun install", async () => {
    expect(await reasonOf("bun install && bun run build")).toMatch(/installCommand/);
    expect(await reasonOf("npm ci")).toMatch(/installCommand/);
  });

  test("when the lockfile, package.json or an install setting is a symlink or a folder, without reading it", async () => {
    // /dev/zero never ends: read, it would take gigabytes before any limit applies.
    rmSync(join(dir, "bun.lock"));
    symlinkSync("/dev/zero", join(dir, "bun.lock"));
    expect(await reasonOf()).toBe("bun.lock is not a regular file (a symlink?)");

    rmSync(join(dir, "bun.lock"));
    project({ dependencies: { "left-pad": "1.3.0" } });
    symlinkSync("/dev/zero", join(dir, "bunfig.toml"));
    expect(await reasonOf()).toBe("bunfig.toml is not a regular file (a symlink?)");

    rmSync(join(dir, "bunfig.toml"));
    mkdirSync(join(dir, ".npmrc"));
    expect(await reasonOf()).toBe(".npmrc is not a regular file (a symlink?)");

    rmSync(join(dir, ".npmrc"), { recursive: true });
    rmSync(join(dir, "package.json"));
    symlinkSync("/etc/passwd", join(dir, "package.json"));
    expect(await reasonOf()).toBe("package.json is not a regular file (a symlink?)");
  });

  test("when there is no lockfile", async () => {
    rmSync(join(dir, "bun.lock"));
    expect(await reasonOf()).toBe("there is no bun.lock");
  });

  test("when a dependency is a folder of the pushed tree", async () => {
    project({ dependencies: { mine: "file:./mine" } });
    expect(await reasonOf()).toMatch(/local folder/);
    project({ dependencies: {} }, LOCK.replace('"left-pad@1.3.0"', '"mine@link:mine"'));
    expect(await reasonOf()).toMatch(/local folder/);
  });

  test("when package.json has an install script of its own, workspaces or patches", async () => {
    project({ scripts: { postinstall: "node gen.js" } });
    expect(await reasonOf()).toBe("package.json has a postinstall script");
    project({ scripts: { prepare: "husky" } });
    expect(await reasonOf()).toBe("package.json has a prepare script");
    project({ workspaces: ["packages/*"] });
    expect(await reasonOf()).toBe("package.json declares workspaces");
    project({ patchedDependencies: { "left-pad@1.3.0": "patches/x.patch" } });
    expect(await reasonOf()).toBe("package.json patches dependencies");
    project({ scripts: { test: "bun test", build: "tsc" } });
    expect(await reasonOf()).toBeUndefined();
  });

  test("when the commit has a node_modules folder, or package.json is not JSON", async () => {
    mkdirSync(join(dir, "node_modules"));
    expect(await reasonOf()).toMatch(/node_modules/);
    rmSync(join(dir, "node_modules"), { recursive: true });
    writeFileSync(join(dir, "package.json"), "{ nope");
    expect(await reasonOf()).toBe("package.json is not valid JSON");
  });
});
