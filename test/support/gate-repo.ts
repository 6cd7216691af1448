// A real bare repository for driving the push gate with made-up stdin: a few commits whose tests
// pass, a few whose tests fail, an annotated tag and a blob, all written with git plumbing. Its
// test command appends the tested commit's token to a marker file, so a test can tell exactly
// which commits the gate ran tests for.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { runGate } from "../../hooks/gate.js";
import { describeError } from "../../shared/errors.js";

export interface GateObjects {
  hexLength: 40 | 64;
  /** Commits whose tests pass. */
  passing: string[];
  /** Commits whose tests fail. */
  failing: string[];
  /** An annotated tag object pointing at `passing[0]`. */
  tag: string;
  /** A blob: an object that is not a commit. */
  blob: string;
}

export interface GateRepo extends GateObjects {
  root: string;
  bare: string;
  /** The TMPDIR the gate should make its workspaces in. */
  tmp: string;
  allowDelete: boolean;
  /** The commit a pushed object id would be tested as, if it names one at all. */
  commitOf(sha: string): string | undefined;
  /** The commits whose tests ran since the last reset, in the order they ran. */
  tested(): string[];
  resetTested(): void;
  remove(): void;
  [fc.toStringMethod](): string;
}

const IDENTITY = {
  GIT_AUTHOR_NAME: "Gate Test",
  GIT_AUTHOR_EMAIL: "gate@example.com",
  GIT_COMMITTER_NAME: "Gate Test",
  GIT_COMMITTER_EMAIL: "gate@example.com",
};

/**
 * Creates the repository with `guardrail.branch` main and release/*, the marker test command
 * and no install step (the commits have no package.json). The caller must call `remove()`.
 */
export function createGateRepo(options: {
  format: "sha1" | "sha256";
  allowDelete: boolean;
}): GateRepo {
  const root = mkdtempSync(join(tmpdir(), "guardrail-stdin-"));
  const bare = join(root, "app.git");
  const tmp = join(root, "tmp");
  const marker = join(root, "tested.txt");
  mkdirSync(tmp);
  writeFileSync(marker, "");
  const git = (args: string[], input?: string) =>
    execFileSync("git", args, { cwd: bare, input, encoding: "utf8", env: gitEnv() }).trim();

  execFileSync("git", ["init", "-q", "--bare", `--object-format=${options.format}`, bare], {
    env: gitEnv(),
  });
  const tokens = new Map<string, string>();
  const commit = (index: number, failing: boolean) => {
    const token = `${options.format}-${failing ? "failing" : "passing"}-${index}`;
    const blob = git(["hash-object", "-w", "--stdin"], `${token}\n`);
    const entries = [`100644 blob ${blob}\tid.txt`];
    if (failing) entries.push(`100644 blob ${blob}\tfail`);
    const tree = git(["mktree"], `${entries.join("\n")}\n`);
    const sha = git(["commit-tree", tree, "-m", token]);
    tokens.set(token, sha);
    return sha;
  };
  const passing = [0, 1, 2].map((index) => commit(index, false));
  const failing = [0, 1].map((index) => commit(index, true));
  const [first] = passing as [string];

  git(["update-ref", "refs/heads/main", first]);
  git(["tag", "-a", "-m", "a tag", "v0", first]);
  const tag = git(["rev-parse", "refs/tags/v0"]);
  const blob = git(["hash-object", "-w", "--stdin"], "not a commit\n");

  const config: [string, string][] = [
    ["guardrail.branch", "main"],
    ["guardrail.branch", "release/*"],
    ["guardrail.allowDelete", String(options.allowDelete)],
    ["guardrail.testCommand", `cat id.txt >> '${marker}' && test ! -e fail`],
    ["guardrail.cacheDir", join(root, "cache")],
  ];
  for (const [key, value] of config) git(["config", "--add", key, value]);

  return {
    // Printed in fast-check's counterexamples instead of every field.
    [fc.toStringMethod]: () => `${options.format} repository ${bare}`,
    root,
    bare,
    tmp,
    allowDelete: options.allowDelete,
    hexLength: options.format === "sha1" ? 40 : 64,
    passing,
    failing,
    tag,
    blob,
    commitOf: (sha) => (sha === tag ? first : [...tokens.values()].find((c) => c === sha)),
    tested: () =>
      readFileSync(marker, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((token) => tokens.get(token) ?? `unknown token ${token}`),
    resetTested: () => writeFileSync(marker, ""),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface GateRun {
  accepted: boolean;
  /** Everything the gate said, then its error when it threw. */
  message: string;
  /** The commits whose tests ran, from the marker file. */
  tested: string[];
  error?: unknown;
}

/**
 * Runs the gate in this process on `stdin`, decoded as the hook's entry point decodes it, with
 * the repository's own temp folder as TMPDIR. A throw is a refusal, as in the entry point.
 */
export async function gateInProcess(repo: GateRepo, stdin: Buffer): Promise<GateRun> {
  process.env.TMPDIR = repo.tmp;
  repo.resetTested();
  const said: string[] = [];
  try {
    const result = await runGate({
      repoDir: repo.bare,
      stdin: stdin.toString("utf8"),
      env: { GITEA_PUSHER_NAME: "alice" },
      say: (text) => said.push(text),
      signal: new AbortController().signal,
    });
    return { accepted: result.accepted, message: said.join("\n"), tested: repo.tested() };
  } catch (error) {
    const message = [...said, describeError(error)].join("\n");
    return { accepted: false, message, tested: repo.tested(), error };
  }
}

/**
 * Runs the compiled hook `binary` as git runs a pre-receive hook: working directory the bare
 * repository, GIT_DIR=., `stdin` as its input, the pusher Forgejo would name. The objects are
 * already in the repository, so git's quarantine variables are not needed. Resolves with the
 * exit code (or the signal's name) and stdout and stderr together.
 */
export function runHookBinary(
  repo: GateRepo,
  binary: string,
  stdin: Buffer,
): Promise<{ code: number | string; output: string }> {
  const env = { ...gitEnv(), GIT_DIR: ".", TMPDIR: repo.tmp, GITEA_PUSHER_NAME: "alice" };
  return new Promise((done, fail) => {
    const child = spawn(binary, [], { cwd: repo.bare, env, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", fail);
    child.on("close", (code, signal) => done({ code: code ?? signal ?? "unknown", output }));
    // A hook that refuses early may stop reading; git ignores that EPIPE too.
    child.stdin.on("error", () => {});
    child.stdin.end(stdin);
  });
}

/** The test process's environment without git's repository pointers, plus a fixed identity. */
function gitEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...IDENTITY };
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("GIT_")) env[name] = value;
  }
  return env;
}
