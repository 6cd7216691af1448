// A bare repository laid out like Forgejo's, with the built push gate installed by
// scripts/install-hook, and a working clone to push from with real `git push`.
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  chmodSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const PROJECT = resolve(import.meta.dirname, "../..");
// GUARDRAIL_TEST_HOOK: another build of the hook to install, e.g. an older one to prove that a
// fault test fails without its fix.
export const HOOK_BINARY = process.env.GUARDRAIL_TEST_HOOK || join(PROJECT, "dist/pre-receive");
const FIXTURES = join(PROJECT, "test/fixtures");

// Forgejo generates hooks/pre-receive as a wrapper that hands the same stdin to every
// executable in hooks/pre-receive.d/, its own `gitea` hook among them.
const FORGEJO_WRAPPER = `#!/usr/bin/env bash
input=$(cat)
status=0
hookname=$(basename "$0")
GIT_DIR=\${GIT_DIR:-$(dirname "$0")/..}
for hook in "\${GIT_DIR}/hooks/\${hookname}.d"/*; do
  [ -f "$hook" ] && [ -x "$hook" ] || continue
  printf '%s\\n' "$input" | "$hook" || status=$?
done
exit $status
`;

export interface CommandResult {
  code: number;
  output: string;
}

export interface AuditLine {
  pusher?: string;
  verdict: "accepted" | "refused";
  mode: string;
  refs: { ref: string; action: string; reason?: string; change: string }[];
  tested: { sha: string; ok: boolean; failure?: string }[];
  bypass?: { requested: boolean; honoured: boolean };
  error?: string;
}

export interface ForgejoRepo {
  root: string;
  bare: string;
  work: string;
  /** TMPDIR of the hook: where its workspaces are made. */
  hookTmp: string;
  /** Sets a git config key in the bare repository (replacing all values when given a list). */
  config(key: string, value: string | string[]): Promise<void>;
  /** Makes the working tree hold exactly the files of a fixture app, commits, returns the sha. */
  commitFixture(fixture: string, message?: string): Promise<string>;
  /** Runs `git push <args>` from the working clone with extra environment. */
  push(args: string[], env?: Record<string, string>): Promise<CommandResult>;
  git(args: string[], cwd?: string): Promise<string>;
  /** The audit log, one parsed object per push. */
  audit(): AuditLine[];
  /** Workspaces the hook left in its temp folder (there should be none). */
  leftoverWorkspaces(): string[];
  remove(): void;
}

/** Creates the bare repository with Forgejo's hook layout and installs the built push gate. */
export async function createForgejoRepo(
  options: { objectFormat?: "sha1" | "sha256" } = {},
): Promise<ForgejoRepo> {
  if (!existsSync(HOOK_BINARY)) {
    throw new Error(`${HOOK_BINARY} is missing: run \`npm run build\` before the end-to-end tests`);
  }
  const root = mkdtempSync(join(tmpdir(), "guardrail-e2e-"));
  const bare = join(root, "app.git");
  const work = join(root, "work");
  const hookTmp = join(root, "hook-tmp");
  mkdirSync(hookTmp);
  const format = options.objectFormat ?? "sha1";

  await run("git", ["init", "-q", "--bare", `--object-format=${format}`, "-b", "main", bare]);
  mkdirSync(join(bare, "hooks/pre-receive.d"), { recursive: true });
  writeFileSync(join(bare, "hooks/pre-receive"), FORGEJO_WRAPPER);
  writeFileSync(join(bare, "hooks/pre-receive.d/gitea"), "#!/bin/sh\nexit 0\n");
  chmodSync(join(bare, "hooks/pre-receive"), 0o755);
  chmodSync(join(bare, "hooks/pre-receive.d/gitea"), 0o755);
  const binary = process.env.GUARDRAIL_TEST_HOOK ? ["--binary", HOOK_BINARY] : [];
  const installed = await run(join(PROJECT, "scripts/install-hook"), [...binary, bare]);
  if (installed.code !== 0) throw new Error(`install-hook failed:\n${installed.output}`);

  await run("git", ["init", "-q", `--object-format=${format}`, "-b", "main", work]);
  const git = async (args: string[], cwd = work) => {
    const result = await run("git", args, { cwd });
    if (result.code !== 0) throw new Error(`git ${args.join(" ")} failed:\n${result.output}`);
    return result.output.trim();
  };
  await git(["config", "user.name", "Test Pusher"]);
  await git(["config", "user.email", "pusher@example.com"]);
  await git(["remote", "add", "origin", bare]);

  return {
    root,
    bare,
    work,
    hookTmp,
    async config(key, value) {
      await run("git", ["config", "--unset-all", key], { cwd: bare });
      for (const one of Array.isArray(value) ? value : [value]) {
        await git(["config", "--add", key, one], bare);
      }
    },
    async commitFixture(fixture, message = `use ${fixture}`) {
      for (const entry of readdirSync(work)) {
        if (entry !== ".git") rmSync(join(work, entry), { recursive: true, force: true });
      }
      cpSync(join(FIXTURES, fixture), work, { recursive: true });
      await git(["add", "-A"]);
      await git(["commit", "-q", "--allow-empty", "-m", message]);
      return git(["rev-parse", "HEAD"]);
    },
    push(args, env = {}) {
      return run("git", ["push", ...args], { cwd: work, env: { TMPDIR: hookTmp, ...env } });
    },
    git,
    audit() {
      const path = join(bare, "guardrail-audit.log");
      if (!existsSync(path)) return [];
      return readFileSync(path, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as AuditLine);
    },
    leftoverWorkspaces() {
      return readdirSync(hookTmp).filter((name) => name.startsWith("guardrail-push-"));
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Runs a program to completion, stdout and stderr merged. Never rejects for a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): Promise<CommandResult> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? 1, output }));
    child.stdin?.on("error", () => {});
    child.stdin?.end(options.input);
  });
}
