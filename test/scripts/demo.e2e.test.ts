// The demo, run for real: real git pushes through the built hook, a real writer process, real
// backups, a real daemon over HTTP. It runs `bun scripts/demo.ts`, the second half of
// `npm run demo`: the first half (`npm run build`) has already run in `npm test`, and building
// again here would replace dist/ binaries that other suites are executing at the same moment.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { PROJECT } from "../support/forgejo-repo.js";
import { processesUsing } from "../support/processes.js";

const BUN = join(PROJECT, "node_modules/.bin/bun");
const scratch: string[] = [];

afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface DemoRun {
  code: number;
  output: string;
  workspace: string;
  /** The private TMPDIR the demo ran with: its workspace must be the only thing in it. */
  tmp: string;
}

/** Runs the demo with its own TMPDIR; `interruptOn` sends SIGINT once that text is printed. */
function runDemo(interruptOn?: string): Promise<DemoRun> {
  const tmp = mkdtempSync(join(tmpdir(), "guardrail-demo-test-"));
  scratch.push(tmp);
  return new Promise((resolve, reject) => {
    const child = spawn(BUN, ["scripts/demo.ts"], {
      cwd: PROJECT,
      env: { ...process.env, TMPDIR: tmp },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let interrupted = false;
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (interruptOn && !interrupted && output.includes(interruptOn)) {
        interrupted = true;
        child.kill("SIGINT");
      }
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code) => {
      const workspace = /Workspace \(everything lands here\): (\S+)/.exec(output)?.[1] ?? "";
      resolve({ code: code ?? -1, output, workspace, tmp });
    });
  });
}

describe("npm run demo", () => {
  test("the demo script is what `npm run demo` runs after the build", () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.demo).toBe("npm run build && bun scripts/demo.ts");
  });

  test("shows a refused push, an accepted fix, verified backups and a healthy daemon, then leaves no process behind", async () => {
    const demo = await runDemo();

    expect(demo.code, demo.output).toBe(0);
    expect(demo.output).toContain("guardrail: push refused: tests failed in");
    expect(demo.output).toMatch(/\[remote rejected\] main -> main \(pre-receive hook declined\)/);
    expect(demo.output).toMatch(/OK push refused \(git exit 1\)/);
    expect(demo.output).toMatch(/OK push accepted: main is now [0-9a-f]{7}/);
    expect(demo.output).toContain("OK two verified backups of a database under constant writes");
    expect(demo.output).toMatch(/tasks-\d{8}-\d{4}(-\d+)?\.sqlite3\.gz: ok \(quick_check/);
    expect(demo.output).toContain("would delete");
    expect(demo.output).toContain("HTTP 200");
    expect(demo.output).toContain("OK health 200");
    expect(demo.output).toContain('guardrail_backup_runs_total{outcome="ok"} 1');
    expect(demo.output).toContain("daemon exited with code 0");
    expect(demo.output).toContain(`rm -rf ${demo.workspace}`);

    // Everything landed in the workspace: it is the only entry in the demo's TMPDIR.
    expect(demo.workspace.startsWith(demo.tmp)).toBe(true);
    expect(readdirSync(demo.tmp)).toEqual([demo.workspace.slice(demo.tmp.length + 1)]);
    expect(existsSync(join(demo.workspace, "app/data/backups/backup.log"))).toBe(true);
    expect(processesUsing(demo.workspace)).toEqual([]);
  });

  test("Ctrl-C while the app writes stops every process the demo started and exits 130", async () => {
    const demo = await runDemo("backup 1 of 2");

    expect(demo.code, demo.output).toBe(130);
    expect(demo.output).toContain("demo: SIGINT: stopping the demo's processes");
    expect(demo.output).not.toContain("demo failed");
    expect(demo.workspace).not.toBe("");
    expect(processesUsing(demo.workspace)).toEqual([]);
  });
});
