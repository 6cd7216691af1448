// Reused dependencies end to end: real pushes of an app whose dependency comes from a real
// (local) npm registry over HTTP, installed by real bun, and the cache under guardrail.cacheDir.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { removeReadOnlyTree } from "../../hooks/dep-cache-entry.js";
import { createForgejoRepo, PROJECT, run, type ForgejoRepo } from "../support/forgejo-repo.js";

const BUN = join(PROJECT, "node_modules/.bin/bun");
const KEY = /^[0-9a-f]{32}$/;

let repos: ForgejoRepo[];
let registry: Registry;
let cacheDir: string;

beforeEach(async () => {
  repos = [];
  registry = await startRegistry();
});

afterEach(async () => {
  for (const repo of repos) expect(repo.leftoverWorkspaces()).toEqual([]);
  await registry.stop();
  // The cache holds read-only folders: removed the way the hook removes them.
  for (const repo of repos) removeReadOnlyTree(repo.root);
});

/** A repository whose hook uses `cacheDir` (the first one's, unless given). */
async function newRepo(shared?: string): Promise<ForgejoRepo> {
  const repo = await createForgejoRepo();
  repos.push(repo);
  cacheDir = shared ?? join(repo.root, "cache");
  await repo.config("guardrail.cacheDir", cacheDir);
  return repo;
}

/** Writes the app (one registry dependency), makes its bun.lock with real bun, commits. */
async function commitApp(repo: ForgejoRepo, tests: string, message: string): Promise<string> {
  writeFileSync(
    join(repo.work, "package.json"),
    JSON.stringify({ name: "tasks-app", private: true, dependencies: { "tiny-dep": "1.0.0" } }),
  );
  writeFileSync(join(repo.work, "bunfig.toml"), `[install]\nregistry = "${registry.url}"\n`);
  writeFileSync(join(repo.work, ".gitignore"), "node_modules/\n");
  writeFileSync(join(repo.work, "dep.test.ts"), tests);
  const install = await run(BUN, ["install"], {
    cwd: repo.work,
    env: { BUN_INSTALL_CACHE_DIR: join(repo.root, "pusher-bun-cache") },
  });
  if (install.code !== 0) throw new Error(`bun install failed:\n${install.output}`);
  await repo.git(["add", "-A"]);
  await repo.git(["commit", "-q", "-m", message]);
  return repo.git(["rev-parse", "HEAD"]);
}

const PRISTINE_TEST = `import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
test("the dependency is as published", () => {
  const file = require.resolve("tiny-dep");
  expect(readFileSync(file, "utf8")).not.toContain("poisoned");
  expect(require("tiny-dep").value).toBe(1);
});
`;

// Runs after the check above, in the same file: a careless test that edits a dependency.
const VANDAL_TEST = `${PRISTINE_TEST}
import { appendFileSync } from "node:fs";
test("a test that edits a dependency in place", () => {
  try { appendFileSync(require.resolve("tiny-dep"), "\\nmodule.exports.value = 'poisoned';\\n"); } catch {}
});
`;

const entries = () => readdirSync(join(cacheDir, "deps")).filter((name) => KEY.test(name));

describe("reusing installed dependencies", () => {
  test("a second push with the same lockfile passes without the registry or bun's package cache; with reuse off it cannot", async () => {
    const repo = await newRepo();
    await commitApp(repo, PRISTINE_TEST, "first");
    expect((await repo.push(["origin", "main"])).code).toBe(0);
    expect(entries()).toHaveLength(1);
    expect(registry.requests).toBeGreaterThan(0);

    await registry.stop();
    removeReadOnlyTree(join(cacheDir, "bun"));
    await commitApp(repo, `${PRISTINE_TEST}\n// a change to the tests only\n`, "second");
    const reused = await repo.push(["origin", "main"]);
    expect(reused.output).toMatch(/✓ [0-9a-f]{7} \(main\): 1 test passed/);
    expect(reused.code).toBe(0);
    expect(reused.output).not.toContain("warning");

    await repo.config("guardrail.reuseDependencies", "false");
    await commitApp(repo, `${PRISTINE_TEST}\n// and again\n`, "third");
    const installed = await repo.push(["origin", "main"]);
    expect(installed.code).not.toBe(0);
    expect(installed.output).toContain("bun install --frozen-lockfile");
  });

  test("a test that writes into a dependency changes neither the next push's copy nor bun's package cache", async () => {
    const repo = await newRepo();
    await commitApp(repo, VANDAL_TEST, "careless tests");
    expect((await repo.push(["origin", "main"])).code).toBe(0);
    const [poisonedKey] = entries();

    await commitApp(repo, PRISTINE_TEST, "careful tests");
    const next = await repo.push(["origin", "main"]);
    expect(next.output).toMatch(/✓ [0-9a-f]{7} \(main\): 1 test passed/);
    expect(next.code).toBe(0);
    // The written entry was found changed and rebuilt under the same key.
    expect(entries()).toEqual([poisonedKey]);
    const copy = join(cacheDir, "deps", poisonedKey!, "node_modules/tiny-dep/index.js");
    expect(readFileSync(copy, "utf8")).not.toContain("poisoned");
    for (const file of filesNamed(join(cacheDir, "bun"), "index.js")) {
      expect(readFileSync(file, "utf8")).not.toContain("poisoned");
    }
  });

  test("two pushes at once to two repositories with one cacheDir both pass and leave one entry", async () => {
    const first = await newRepo();
    const second = await newRepo(cacheDir);
    await commitApp(first, PRISTINE_TEST, "app");
    await commitApp(second, PRISTINE_TEST, "app");

    const pushes = await Promise.all([first, second].map((repo) => repo.push(["origin", "main"])));
    for (const push of pushes) {
      expect(push.output).toMatch(/✓ [0-9a-f]{7} \(main\): 1 test passed/);
      expect(push.code).toBe(0);
    }
    expect(entries()).toHaveLength(1);
    const names = readdirSync(join(cacheDir, "deps"));
    expect(names.filter((name) => name.startsWith(".trash-"))).toEqual([]);

    // The one entry is sound: a later push reuses it with the registry down.
    await registry.stop();
    await commitApp(first, `${PRISTINE_TEST}\n// later\n`, "later");
    expect((await first.push(["origin", "main"])).code).toBe(0);
  });
});

interface Registry {
  url: string;
  requests: number;
  stop(): Promise<void>;
}

/** A real npm registry over HTTP serving one package, `tiny-dep@1.0.0`. */
async function startRegistry(): Promise<Registry> {
  const tarball = packTinyDep();
  const integrity = `sha512-${createHash("sha512").update(tarball).digest("base64")}`;
  let server: Server | undefined;
  const registry: Registry = { url: "", requests: 0, stop: async () => {} };

  server = createServer((request, response) => {
    registry.requests++;
    if (request.url === "/tiny-dep") {
      const version = {
        name: "tiny-dep",
        version: "1.0.0",
        dist: { tarball: `${registry.url}tiny-dep/-/tiny-dep-1.0.0.tgz`, integrity },
      };
      response.setHeader("content-type", "application/json");
      response.end(
        JSON.stringify({
          name: "tiny-dep",
          "dist-tags": { latest: "1.0.0" },
          versions: { "1.0.0": version },
        }),
      );
    } else if (request.url === "/tiny-dep/-/tiny-dep-1.0.0.tgz") {
      response.setHeader("content-type", "application/octet-stream");
      response.end(tarball);
    } else {
      response.statusCode = 404;
      response.end("{}");
    }
  });
  await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
  registry.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  registry.stop = () =>
    new Promise<void>((done) => {
      if (!server) return done();
      server.closeAllConnections();
      server.close(() => done());
      server = undefined;
    });
  return registry;
}

function packTinyDep(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "guardrail-tiny-dep-"));
  mkdirSync(join(dir, "package"));
  writeFileSync(
    join(dir, "package/package.json"),
    JSON.stringify({ name: "tiny-dep", version: "1.0.0", main: "index.js" }),
  );
  writeFileSync(join(dir, "package/index.js"), "module.exports = { value: 1 };\n");
  const tar = spawnSync("tar", ["-czf", "-", "-C", dir, "package"]);
  rmSync(dir, { recursive: true, force: true });
  if (tar.status !== 0) throw new Error(`tar failed: ${tar.stderr.toString()}`);
  return tar.stdout;
}

function filesNamed(root: string, name: string): string[] {
  const found: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) visit(join(dir, entry.name));
      else if (entry.name === name) found.push(join(dir, entry.name));
    }
  };
  visit(root);
  return found;
}
