// Docker cannot run on our machines, so these tests run what the image runs: the runtime stage's
// CMD and HEALTHCHECK, read from the Dockerfile, against a real daemon over real HTTP, healthy
// and unhealthy; and the runtime stage's install, redone from a clean copy with
// `npm ci --omit=dev`, must give a working guardrail-backup.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, test } from "vitest";
import { writeBackup } from "../support/backup-fixture.js";
import { makeWorkspace, runCli, seedDatabase, type Workspace } from "../support/backup-env.js";
import { readDockerfile, type Stage } from "../support/dockerfile.js";
import { PROJECT } from "../support/forgejo-repo.js";
import { freePort } from "../support/free-port.js";

const stages = readDockerfile(PROJECT);
const runtime = stages.at(-1)!;
const workspaces: Workspace[] = [];
const daemons: ChildProcess[] = [];

afterEach(async () => {
  for (const child of daemons.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("close", resolve));
    }
  }
  for (const ws of workspaces.splice(0)) await ws.tmp.cleanup();
});

/** The environment inside the container: the runtime stage's ENV, then the operator's. */
function imageEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? "", ...runtime.env, ...extra };
}

interface Running {
  child: ChildProcess;
  /** Resolves once an output line contains `text` (lines already written count). */
  waitFor(text: string): Promise<void>;
}

/** Starts the image's CMD in the project (which holds dist/ as WORKDIR /app does). */
async function startImageCmd(env: Record<string, string>): Promise<Running> {
  const [command, ...args] = runtime.cmd!;
  const child = spawn(command!, args, { cwd: PROJECT, env, stdio: ["ignore", "pipe", "pipe"] });
  daemons.push(child);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: string[] = [];
  const waiters: { text: string; resolve: () => void }[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const waiter of waiters.filter((w) => line.includes(w.text))) waiter.resolve();
  });
  const waitFor = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (lines.some((line) => line.includes(text))) return resolve();
      waiters.push({ text, resolve });
      child.once("close", (code) => reject(new Error(`the CMD exited (${code}): ${stderr}`)));
    });
  await waitFor('"msg":"daemon started"');
  return { child, waitFor };
}

/** Runs the image's HEALTHCHECK command as Docker would (exec form, the container's env). */
function runHealthcheck(env: Record<string, string>): number | null {
  return runHealthcheckWithOutput(env).status;
}

function runHealthcheckWithOutput(env: Record<string, string>) {
  const [command, ...args] = runtime.healthcheck!.cmd;
  const result = spawnSync(command!, args, { cwd: PROJECT, env, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

async function workspace(): Promise<Workspace> {
  const ws = await makeWorkspace();
  workspaces.push(ws);
  return ws;
}

describe("the Dockerfile", () => {
  test("ends with the runtime stage: node slim LTS, non-root, sqlite3, the daemon as CMD", () => {
    expect(runtime.name).toBe("runtime");
    expect(runtime.image).toMatch(/^node:(20|22)(\.\d+)*-[a-z]*-?slim$/);
    expect(runtime.user).toBe("guardrail");
    expect(runtime.cmd).toEqual(["node", "dist/daemon/main.js", "run"]);
    const installs = runtime.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
    expect(installs.join("\n")).toMatch(/apt-get install .*\bsqlite3\b/);
    expect(installs.join("\n")).toMatch(/useradd .*--uid "\$\{APP_UID\}"/);
  });

  test("has a HEALTHCHECK in exec form that cannot be talked into success", () => {
    const check = runtime.healthcheck!;
    expect(check.cmd[0]).toBe("node");
    expect(check.cmd.join(" ")).not.toMatch(/\|\|\s*(exit\s+0|true)\b|curl/);
    expect(check.options.timeout).toBeDefined();
  });

  test("has a `hook` target that outputs both push gate binaries", () => {
    const hook = stages.find((stage: Stage) => stage.name === "hook")!;
    expect(hook.image).toBe("scratch");
    expect(hook.copies[0]!.sources).toEqual([
      "/src/dist/pre-receive",
      "/src/dist/pre-receive-musl",
    ]);
  });
});

describe("the image's CMD and HEALTHCHECK, run against a real daemon", () => {
  test("the HEALTHCHECK exits 0 while the newest verified backup is fresh", async () => {
    const ws = await workspace();
    seedDatabase(ws.db, 200);
    expect(runCli(["once"], ws.env).status).toBe(0);
    const env = imageEnv({ ...ws.env, BACKUP_PORT: String(await freePort()) });

    const daemon = await startImageCmd(env);

    expect(runHealthcheck(env)).toBe(0);
    daemon.child.kill("SIGTERM");
    await new Promise((resolve) => daemon.child.once("close", resolve));
    expect(daemon.child.exitCode).toBe(0);
  });

  test("the HEALTHCHECK fails when the newest verified backup is older than BACKUP_MAX_AGE", async () => {
    const ws = await workspace();
    seedDatabase(ws.db, 50);
    writeBackup(ws.db, ws.dir, new Date(Date.now() - 10 * 60_000));
    // A yearly schedule: the 10-minute-old backup covers the last slot, so no catch-up runs.
    const env = imageEnv({
      ...ws.env,
      BACKUP_PORT: String(await freePort()),
      BACKUP_SCHEDULE: "0 0 1 1 *",
      BACKUP_MAX_AGE: "5m",
    });

    await startImageCmd(env);
    const health = await fetch(`http://127.0.0.1:${env.BACKUP_PORT}/health`);

    const check = runHealthcheckWithOutput(env);
    expect(check.status).toBe(1);
    expect(check.output).toContain("unhealthy (HTTP 503)");
    expect(check.output).toContain("BACKUP_MAX_AGE");
    expect(health.status).toBe(503);
    expect(JSON.stringify(await health.json())).toContain("BACKUP_MAX_AGE");
  });

  test("the HEALTHCHECK fails when the last backup run failed", async () => {
    const ws = await workspace();
    writeFileSync(
      ws.db,
      "this is not a SQLite database, it only has the name of one\n".repeat(200),
    );
    const env = imageEnv({ ...ws.env, BACKUP_PORT: String(await freePort()) });

    const daemon = await startImageCmd(env);
    // No backup yet: the daemon tries one at once, and it fails.
    await daemon.waitFor('"outcome":"failed"');

    expect(runHealthcheck(env)).toBe(1);
  });

  test("the HEALTHCHECK fails when nothing answers on BACKUP_PORT", async () => {
    const env = imageEnv({ BACKUP_PORT: String(await freePort()) });

    expect(runHealthcheck(env)).toBe(1);
  });
});

describe("the runtime stage's install, from a clean copy", () => {
  let copy = "";
  afterEach(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  test("npm ci --omit=dev gives a guardrail-backup whose --help and once work", async () => {
    copy = mkdtempSync(join(tmpdir(), "guardrail-image-"));
    // Lay out /app as the runtime stage does; node_modules as the prod-deps stage makes it.
    const prodDeps = stages.find((stage) => stage.name === "prod-deps")!;
    const install = prodDeps.instructions.find(
      (i) => i.keyword === "RUN" && i.args.includes("npm ci"),
    );
    expect(install?.args).toContain("npm ci --omit=dev");
    for (const { from, sources, dest } of [...prodDeps.copies, ...runtime.copies]) {
      if (from === "prod-deps") continue; // node_modules: made by the install below
      for (const source of sources) {
        const inProject = from === "build" ? source.replace(/^\/src\//, "") : source;
        const target = dest.endsWith("/")
          ? join(copy, dest, inProject.split("/").pop()!)
          : join(copy, dest);
        cpSync(join(PROJECT, inProject), target, { recursive: true });
      }
    }
    const npm = spawnSync("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund"], {
      cwd: copy,
      encoding: "utf8",
    });
    expect(npm.status, npm.stderr).toBe(0);
    expect(existsSync(join(copy, "node_modules/better-sqlite3"))).toBe(true);
    expect(readdirSync(join(copy, "node_modules"))).not.toContain("typescript");
    expect(existsSync(join(copy, "node_modules/bun"))).toBe(false);

    const [node, main] = runtime.cmd!;
    const help = spawnSync(node!, [main!, "--help"], { cwd: copy, encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/\brun\b[\s\S]*\bonce\b/);

    const ws = await workspace();
    seedDatabase(ws.db, 100);
    const once = spawnSync(node!, [main!, "once"], {
      cwd: copy,
      env: imageEnv(ws.env),
      encoding: "utf8",
    });
    expect(once.status, once.stderr).toBe(0);
    expect(readdirSync(ws.dir).filter((name) => name.endsWith(".sqlite3.gz"))).toHaveLength(1);
  }, 600_000);
});
