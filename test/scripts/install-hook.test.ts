// scripts/install-hook against real repositories: Forgejo's layout, plain git, and bad paths.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { createForgejoRepo, PROJECT, run } from "../support/forgejo-repo.js";

const INSTALL = join(PROJECT, "scripts/install-hook");
let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "guardrail-install-"));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("install-hook", () => {
  test("installs into pre-receive.d beside Forgejo's gitea hook, proves it runs, and is idempotent", async () => {
    const repo = await createForgejoRepo();
    try {
      const again = await run(INSTALL, [repo.bare]);
      expect(again.code).toBe(0);
      expect(again.output).toContain("pre-receive.d/guardrail (forgejo layout)");
      expect(again.output).toContain("canary run ok: guardrail: canary: push gate");
      expect(statSync(join(repo.bare, "hooks/pre-receive.d/guardrail")).mode & 0o111).toBeTruthy();
      expect(existsSync(join(repo.bare, "hooks/pre-receive.d/gitea"))).toBe(true);
      expect(await repo.git(["config", "receive.advertisePushOptions"], repo.bare)).toBe("true");
    } finally {
      repo.remove();
    }
  });

  test("installs a plain repository's hooks/pre-receive", async () => {
    const bare = join(root, "plain.git");
    await run("git", ["init", "-q", "--bare", bare]);
    const installed = await run(INSTALL, [bare]);

    expect(installed.code).toBe(0);
    expect(installed.output).toContain("hooks/pre-receive (git layout)");
    expect(statSync(join(bare, "hooks/pre-receive")).size).toBeGreaterThan(1_000_000);
  });

  test("refuses a path that is not a bare repository", async () => {
    const work = join(root, "work");
    await run("git", ["init", "-q", work]);
    const refused = await run(INSTALL, [work]);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain("is not a bare git repository");

    const missing = await run(INSTALL, [join(root, "nowhere.git")]);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain("is not a directory");
  });

  test("will not overwrite a pre-receive hook that is not Guardrail's", async () => {
    const bare = join(root, "custom.git");
    await run("git", ["init", "-q", "--bare", bare]);
    writeFileSync(join(bare, "hooks/pre-receive"), "#!/bin/sh\nexit 0\n");
    chmodSync(join(bare, "hooks/pre-receive"), 0o755);

    const refused = await run(INSTALL, [bare]);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain("exists and is not Guardrail's");
  });

  test("fails when the repository's wrapper does not run the installed hook", async () => {
    const bare = join(root, "broken.git");
    await run("git", ["init", "-q", "--bare", bare]);
    mkdirSync(join(bare, "hooks/pre-receive.d"));
    // A wrapper that ignores pre-receive.d, as a hand-edited one might.
    writeFileSync(join(bare, "hooks/pre-receive"), "#!/bin/sh\nexit 0\n");
    chmodSync(join(bare, "hooks/pre-receive"), 0o755);

    const failed = await run(INSTALL, [bare]);
    expect(failed.code).not.toBe(0);
    expect(failed.output).toContain("did not run the installed hook");
    expect(failed.output).toContain("The previous state was restored");
    expect(readdirSync(join(bare, "hooks/pre-receive.d"))).toEqual([]);
  });

  test("refuses a pre-receive.d folder that no wrapper runs (the gate would never run)", async () => {
    const bare = join(root, "nowrapper.git");
    await run("git", ["init", "-q", "--bare", bare]);
    mkdirSync(join(bare, "hooks/pre-receive.d"));
    rmSync(join(bare, "hooks/pre-receive"), { force: true });

    const refused = await run(INSTALL, [bare]);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain("git would never run the gate");
    expect(readdirSync(join(bare, "hooks/pre-receive.d"))).toEqual([]);
  });

  test("changes nothing when the binary cannot run on this machine", async () => {
    const repo = await createForgejoRepo();
    try {
      const installed = join(repo.bare, "hooks/pre-receive.d/guardrail");
      const before = readFileSync(installed);
      const broken = join(root, "pre-receive-musl");
      writeFileSync(
        broken,
        "#!/bin/sh\necho 'Error loading shared library libstdc++.so.6: No such file or directory' >&2\nexit 127\n",
      );
      chmodSync(broken, 0o755);

      const refused = await run(INSTALL, ["--binary", broken, repo.bare]);
      expect(refused.code).not.toBe(0);
      expect(refused.output).toContain("apk add --no-cache libstdc++ libgcc");
      expect(refused.output).toContain("Nothing was changed");
      expect(readFileSync(installed).equals(before)).toBe(true);
      expect(readdirSync(join(repo.bare, "hooks/pre-receive.d")).sort()).toEqual([
        "gitea",
        "guardrail",
      ]);
    } finally {
      repo.remove();
    }
  });

  test("installs as root into a repository owned by another user, and hands the hook to that user", async () => {
    if (process.getuid?.() !== 0) throw new Error("this test must run as root, as CI does");
    const bare = join(root, "owned.git");
    await run("git", ["init", "-q", "--bare", bare]);
    await run("chown", ["-R", "1000:1000", bare]);

    const installed = await run(INSTALL, [bare]);
    expect(installed.code).toBe(0);
    expect(statSync(join(bare, "hooks/pre-receive")).uid).toBe(1000);
  });

  test("prints its usage with --help and exits 0", async () => {
    const help = await run(INSTALL, ["--help"]);
    expect(help.code).toBe(0);
    expect(help.output).toContain(
      "install-hook [--musl|--glibc] [--binary FILE] <path/to/repo.git>",
    );
    expect(help.output).not.toContain("set -eu");
  });
});
