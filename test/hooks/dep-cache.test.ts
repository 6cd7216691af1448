// The dependency cache on real folders: publishing, reusing, refusing a changed or partial
// entry, keeping disk use bounded without removing what a running push uses.
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { KEEP_ENTRIES, openDependencyCache } from "../../hooks/dep-cache.js";
import { removeReadOnlyTree } from "../../hooks/dep-cache-entry.js";
import { pruneDependencyCache } from "../../hooks/dep-cache-prune.js";

let base: string;
let cacheDir: string;
const deps = () => join(cacheDir, "deps");
const HOUR = 3_600_000;
const key = (n: number) => n.toString(16).padStart(32, "0");

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "guardrail-dep-cache-"));
  cacheDir = join(base, "cache");
});

afterEach(() => {
  removeReadOnlyTree(base);
});

/** A project folder as `bun install` leaves it: packages, a nested package, a .bin symlink. */
function installedProject(name: string, version = "1.0.0"): string {
  const dir = join(base, name);
  const pkg = join(dir, "node_modules/left-pad");
  mkdirSync(join(pkg, "node_modules/inner"), { recursive: true });
  mkdirSync(join(dir, "node_modules/.bin"));
  writeFileSync(join(dir, "package.json"), "{}");
  writeFileSync(join(pkg, "index.js"), `module.exports = "${version}";\n`);
  writeFileSync(join(pkg, "node_modules/inner/index.js"), "module.exports = 1;\n");
  symlinkSync("../left-pad/index.js", join(dir, "node_modules/.bin/left-pad"));
  return dir;
}

function emptyProject(name: string): string {
  const dir = join(base, name);
  mkdirSync(dir);
  return dir;
}

describe("publish and restore", () => {
  test("a published entry is linked into the next project and its files cannot be written", () => {
    const cache = openDependencyCache(cacheDir);
    const first = installedProject("first");
    cache.publish(key(1), first);

    const second = emptyProject("second");
    expect(cache.restore(key(1), second, Date.now() + HOUR)).toBe("reused");
    const linked = join(second, "node_modules/left-pad");
    expect(lstatSync(linked).isSymbolicLink()).toBe(true);
    expect(readlinkSync(linked)).toBe(join(deps(), key(1), "node_modules/left-pad"));
    expect(readFileSync(join(linked, "index.js"), "utf8")).toContain("1.0.0");
    expect(readFileSync(join(second, "node_modules/.bin/left-pad"), "utf8")).toContain("1.0.0");
    // The project's own node_modules stays writable for tools' caches; the packages do not.
    writeFileSync(join(second, "node_modules/.cache-of-a-tool"), "x");
    expect(lstatSync(join(linked, "index.js")).mode & 0o222).toBe(0);
    expect(lstatSync(join(deps(), key(1), "node_modules/left-pad")).mode & 0o222).toBe(0);
  });

  test("the publishing project ends up on the entry too, not on bun's hard-linked files", () => {
    const cache = openDependencyCache(cacheDir);
    const project = installedProject("first");
    cache.publish(key(1), project);

    expect(lstatSync(join(project, "node_modules")).isDirectory()).toBe(true);
    expect(lstatSync(join(project, "node_modules/left-pad")).isSymbolicLink()).toBe(true);
    expect(readdirSync(project)).toEqual(["node_modules", "package.json"]);
    expect(readdirSync(deps()).filter((name) => name.startsWith("."))).toEqual([]);
  });

  test("a key never published is missing, and nothing is linked", () => {
    const project = emptyProject("p");
    expect(openDependencyCache(cacheDir).restore(key(9), project, Date.now() + HOUR)).toBe(
      "missing",
    );
    expect(existsSync(join(project, "node_modules"))).toBe(false);
  });

  test("a second publish of the same key keeps the first entry and links its own copy", () => {
    const cache = openDependencyCache(cacheDir);
    cache.publish(key(1), installedProject("first"));
    const record = readFileSync(join(deps(), key(1), "entry.json"), "utf8");

    const late = installedProject("late");
    cache.publish(key(1), late);
    expect(readFileSync(join(deps(), key(1), "entry.json"), "utf8")).toBe(record);
    expect(readFileSync(join(late, "node_modules/left-pad/index.js"), "utf8")).toContain("1.0.0");
    // Its own copy stays while this process lives, and is a leftover once it is gone.
    expect(readdirSync(deps()).filter((name) => name.startsWith(".staging-"))).toHaveLength(1);
  });
});

describe("a changed or broken entry is never used", () => {
  test("a file written into an entry makes it damaged: removed, and the next push installs", () => {
    const cache = openDependencyCache(cacheDir);
    cache.publish(key(1), installedProject("first"));
    // Root ignores the read-only mode, as a test running as root would.
    appendFileSync(join(deps(), key(1), "node_modules/left-pad/index.js"), "poisoned();\n");

    const next = emptyProject("next");
    expect(cache.restore(key(1), next, Date.now() + HOUR)).toBe("damaged");
    expect(existsSync(join(next, "node_modules"))).toBe(false);
    expect(existsSync(join(deps(), key(1)))).toBe(false);
    expect(readdirSync(deps()).filter((name) => name.startsWith(".trash-"))).toEqual([]);
  });

  test("a file added to an entry's package makes it damaged", () => {
    const cache = openDependencyCache(cacheDir);
    cache.publish(key(1), installedProject("first"));
    writeFileSync(join(deps(), key(1), "node_modules/left-pad/node_modules/inner/extra.js"), "");

    expect(cache.restore(key(1), emptyProject("next"), Date.now() + HOUR)).toBe("damaged");
  });

  test("an entry without its record (entry.json) is damaged and removed", () => {
    const cache = openDependencyCache(cacheDir);
    cache.publish(key(1), installedProject("first"));
    rmSync(join(deps(), key(1), "entry.json"));

    expect(cache.restore(key(1), emptyProject("next"), Date.now() + HOUR)).toBe("damaged");
    expect(existsSync(join(deps(), key(1)))).toBe(false);
  });

  test("an entry whose record is not JSON is damaged", () => {
    const cache = openDependencyCache(cacheDir);
    cache.publish(key(1), installedProject("first"));
    writeFileSync(join(deps(), key(1), "entry.json"), '{"format":1,"finger');

    expect(cache.restore(key(1), emptyProject("next"), Date.now() + HOUR)).toBe("damaged");
  });

  test("a half-written staging folder of a killed hook is never used, and pruning removes it", () => {
    const dead = deadPid();
    const staging = join(deps(), `.staging-${dead}-abcdef`);
    mkdirSync(join(staging, "node_modules/left-pad"), { recursive: true });
    const project = emptyProject("p");

    expect(openDependencyCache(cacheDir).restore(key(1), project, Date.now() + HOUR)).toBe(
      "missing",
    );
    pruneDependencyCache(deps(), KEEP_ENTRIES);
    expect(existsSync(staging)).toBe(false);
  });
});

describe("pruning", () => {
  function publishAged(n: number, ageMs: number): void {
    openDependencyCache(cacheDir).publish(key(n), installedProject(`p${n}`, `${n}.0.0`));
    const when = new Date(Date.now() - ageMs);
    utimesSync(join(deps(), key(n)), when, when);
  }

  test(`keeps the ${KEEP_ENTRIES} most recently used entries and removes older ones`, () => {
    for (let n = 1; n <= KEEP_ENTRIES + 2; n++) publishAged(n, (10 - n) * HOUR);
    pruneDependencyCache(deps(), KEEP_ENTRIES);

    const kept = readdirSync(deps()).filter((name) => /^[0-9a-f]{32}$/.test(name));
    expect(kept.sort()).toEqual([3, 4, 5].map(key));
    expect(readdirSync(deps()).filter((name) => name.startsWith("."))).toEqual([]);
  });

  test("an old entry leased by a running push until a later deadline stays", () => {
    // This process stands for the push that leased the oldest key.
    openDependencyCache(cacheDir).restore(key(1), emptyProject("user"), Date.now() + HOUR);
    for (let n = 1; n <= KEEP_ENTRIES + 1; n++) publishAged(n, (10 - n) * HOUR);
    utimesSync(join(deps(), key(1)), new Date(0), new Date(0));

    pruneDependencyCache(deps(), KEEP_ENTRIES);
    const kept = readdirSync(deps()).filter((name) => /^[0-9a-f]{32}$/.test(name));
    expect(kept.sort()).toEqual([1, 2, 3, 4].map(key));
    expect(existsSync(join(deps(), key(1), "entry.json"))).toBe(true);
  });

  test("leases of finished pushes or past their deadline hold nothing and are removed", () => {
    const leases = join(deps(), "leases");
    mkdirSync(leases, { recursive: true });
    writeFileSync(join(leases, `${key(1)}.${deadPid()}.${Date.now() + HOUR}`), "");
    writeFileSync(join(leases, `${key(1)}.${process.pid}.${Date.now() - 1000}`), "");
    for (let n = 1; n <= KEEP_ENTRIES + 1; n++) publishAged(n, (10 - n) * HOUR);

    pruneDependencyCache(deps(), KEEP_ENTRIES);
    expect(existsSync(join(deps(), key(1)))).toBe(false);
    expect(readdirSync(leases)).toEqual([]);
  });
});

/** The pid of a process that has ended (and was ours, so it is not reused in a hurry). */
function deadPid(): number {
  const child = spawnSync("/bin/sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(child.stdout.trim());
}
