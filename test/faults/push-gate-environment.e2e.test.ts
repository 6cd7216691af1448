// What pushed code sees of the server: exactly the allow-listed environment, a HOME and TMPDIR
// of its own inside the push's workspace, and nothing of the hook's or Forgejo's variables.
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { PROJECT } from "../support/forgejo-repo.js";
import { processesUsing } from "../support/processes.js";
import { pushAsTestUser } from "../support/test-user-push.js";
import { useForgejoRepo } from "../support/use-forgejo-repo.js";

const repo = useForgejoRepo();

// Every name the install and test commands may see. The gate sets the first ten; the names of
// guardrail.passEnv follow; the rest come from the tools in between: the shell sets PWD, the
// `bun` shim BUN_BE_BUN, and `bun test` NODE_ENV.
const GATE_NAMES = [
  "PATH",
  "LANG",
  "TZ",
  "HOME",
  "TMPDIR",
  "CI",
  "BUN_INSTALL_CACHE_DIR",
  "BUN_RUNTIME_TRANSPILER_CACHE_PATH",
  "DO_NOT_TRACK",
  "GUARDRAIL_RUN_ID",
];
const PASSED = ["PASSED_ON", "ENV_DUMP"];
const INSTALL_NAMES = [...GATE_NAMES, ...PASSED, "PWD"].sort();
const TEST_NAMES = [...GATE_NAMES, ...PASSED, "PWD", "BUN_BE_BUN", "NODE_ENV"].sort();

// What a hostile or careless server environment holds: Forgejo's and git's variables, secrets.
const SERVER_ENV = {
  PASSED_ON: "yes",
  SECRET_FROM_SERVER: "hunter2",
  GITEA_REPO_NAME: "app",
  GITEA_PUSHER_EMAIL: "pusher@example.com",
  FORGEJO__security__SECRET_KEY: "very-secret",
  SSH_ORIGINAL_COMMAND: "git-receive-pack 'app.git'",
};

interface Dump {
  names: string[];
  childNames: string[];
  home: string;
  tmpdir: string;
  cwd: string;
  homeWritable: boolean;
  tmpdirWritable: boolean;
}

describe("the environment of pushed code", () => {
  test("holds exactly the allow-listed names in install, tests and their children; HOME and TMPDIR are its own; no process or workspace is left", async () => {
    const testDump = join(repo().root, "test-env.json");
    const installDump = join(repo().root, "install-env.txt");
    await repo().config("guardrail.passEnv", "PASSED_ON ENV_DUMP");
    await repo().config(
      "guardrail.installCommand",
      `env | cut -d= -f1 | sort > '${installDump}' && bun install --frozen-lockfile`,
    );
    await repo().commitFixture("env-check");
    const push = await repo().push(["origin", "main"], { ...SERVER_ENV, ENV_DUMP: testDump });

    expect(push.output).toContain("2 tests passed");
    expect(push.code).toBe(0);
    const installed = readFileSync(installDump, "utf8").split("\n").filter(Boolean);
    expect(installed).toEqual(INSTALL_NAMES);
    const seen = JSON.parse(readFileSync(testDump, "utf8")) as Dump;
    expect(seen.names).toEqual(TEST_NAMES);
    expect(seen.childNames).toEqual(TEST_NAMES);

    // HOME and TMPDIR: two folders of this push's workspace, beside (not inside) its checkout,
    // writable by the tests, and gone with the workspace.
    const workspace = relative(repo().hookTmp, seen.cwd).split("/")[0] ?? "";
    expect(workspace).toMatch(/^guardrail-push-/);
    expect(seen.home).toBe(join(repo().hookTmp, workspace, "home"));
    expect(seen.tmpdir).toBe(join(repo().hookTmp, workspace, "tmp"));
    expect(seen.cwd).toBe(join(repo().hookTmp, workspace, "tree"));
    expect([seen.homeWritable, seen.tmpdirWritable]).toEqual([true, true]);
    expect(repo().leftoverWorkspaces()).toEqual([]);
    expect(processesUsing(repo().hookTmp)).toEqual([]);
  });

  test("lets a test's own git repository stay its own: the pushed repository keeps its one ref", async () => {
    await repo().config("guardrail.passEnv", "PASSED_ON");
    await repo().commitFixture("env-check");
    const push = await repo().push(["origin", "main"], SERVER_ENV);

    expect(push.code).toBe(0);
    const refs = await repo().git(["for-each-ref", "--format=%(refname)"], repo().bare);
    expect(refs.split("\n")).toEqual(["refs/heads/main"]);
    const head = await repo().git(["rev-parse", "main"], repo().bare);
    expect(head).toBe(await repo().git(["rev-parse", "HEAD"]));
    expect(repo().leftoverWorkspaces()).toEqual([]);
  });
});

describe("the bubblewrap sandbox of docs/security.md", () => {
  let server: Server;
  beforeEach(async () => {
    server = createServer((_request, response) => response.end("reached"));
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  });
  afterEach(() => {
    server.close();
  });

  test("hides the server's files and network from tests that see them without it, as an ordinary git user", async () => {
    const sandbox = join(repo().root, "guardrail-sandbox");
    writeFileSync(sandbox, documentedSandbox());
    chmodSync(sandbox, 0o755);
    const secret = join(repo().root, "app.ini");
    writeFileSync(secret, "SECRET_KEY = very-secret\n");
    const env = {
      SECRET_FILE: secret,
      REPO_PATH: repo().bare,
      SERVER_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    };
    await repo().config("guardrail.passEnv", Object.keys(env).join(" "));
    await repo().config("guardrail.cacheDir", join(repo().root, "cache"));
    const sha = await repo().commitFixture("sandboxed");

    // Without the sandbox the test sees all of it: its checks can fail.
    const bare = await pushAsTestUser(repo(), env);
    for (const seen of ["repository", "rootHome", "secret", "server"]) {
      expect(bare.output).toMatch(new RegExp(`\\+\\s+"${seen}": true`));
    }
    expect(bare.output).toContain(`push refused: tests failed in ${sha.slice(0, 7)}`);

    // (safe.directory: the repository is the test user's now.)
    await repo().git(
      ["-c", "safe.directory=*", "config", "guardrail.testCommand", `${sandbox} bun test`],
      repo().bare,
    );
    const boxed = await pushAsTestUser(repo(), env);
    expect(boxed.output).toContain("1 test passed");
    expect(boxed.code).toBe(0);
    expect(repo().leftoverWorkspaces()).toEqual([]);
    expect(processesUsing(repo().hookTmp)).toEqual([]);
  });
});

/** The `guardrail-sandbox` script exactly as docs/security.md gives it. */
function documentedSandbox(): string {
  const doc = readFileSync(join(PROJECT, "docs/security.md"), "utf8");
  const script = /```bash\n(#!\/bin\/bash\n# guardrail-sandbox:[\s\S]*?)```/.exec(doc)?.[1];
  if (!script) throw new Error("docs/security.md no longer holds the guardrail-sandbox script");
  return script;
}
