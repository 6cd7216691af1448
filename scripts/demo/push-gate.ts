// Part 1 of the demo: a bare repository laid out like Forgejo's, the built push gate installed
// with scripts/install-hook, a push whose test fails (refused), then its fix (accepted).
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Processes } from "./processes.js";
import { DemoError, ok, section, show, step, note } from "./say.js";
import { BROKEN_APP, FIXED_APP } from "./tasks-app.js";
import { INSTALL_HOOK, type Workspace } from "./workspace.js";

// What Forgejo writes as hooks/pre-receive: hand the same ref lines to every executable in
// hooks/pre-receive.d/ (Forgejo's own is `gitea`), fail if any of them fails.
const FORGEJO_WRAPPER = `#!/usr/bin/env bash
data=$(cat)
exitcodes=""
hookname=$(basename "$0")
GIT_DIR=\${GIT_DIR:-$(dirname "$0")/..}
for hook in "\${GIT_DIR}/hooks/\${hookname}.d"/*; do
  test -x "\${hook}" && test -f "\${hook}" || continue
  echo "\${data}" | "\${hook}"
  exitcodes="\${exitcodes} $?"
done
for i in \${exitcodes}; do
  [ "\${i}" -eq 0 ] || exit "\${i}"
done
`;
// Stands in for Forgejo's own hook, which updates Forgejo's database; here it accepts.
const GITEA_STUB = "#!/bin/sh\nexit 0\n";

export interface PushGateResult {
  bare: string;
  work: string;
  auditLog: string;
  refusedSha: string;
  acceptedSha: string;
}

export async function demoPushGate(ws: Workspace, procs: Processes): Promise<PushGateResult> {
  section("1. The push gate: a failing test never reaches main");
  const bare = ws.path("forgejo/git/repositories/alice/tasks-app.git");
  const work = ws.path("laptop/tasks-app");
  const run = (command: string, args: string[], cwd = ws.root) =>
    procs.run(command, args, { cwd, env: ws.env });
  const git = async (args: string[], cwd: string) => {
    const result = await run("git", args, cwd);
    if (result.code !== 0) {
      throw new DemoError(`git ${args.join(" ")} failed`, { output: result.output });
    }
    return result.output.trim();
  };

  step(`a bare repository laid out like Forgejo's: ${bare}`);
  await git(["init", "-q", "--bare", "-b", "main", bare], ws.root);
  mkdirSync(join(bare, "hooks/pre-receive.d"), { recursive: true });
  writeFileSync(join(bare, "hooks/pre-receive"), FORGEJO_WRAPPER);
  writeFileSync(join(bare, "hooks/pre-receive.d/gitea"), GITEA_STUB);
  chmodSync(join(bare, "hooks/pre-receive"), 0o755);
  chmodSync(join(bare, "hooks/pre-receive.d/gitea"), 0o755);
  note("hooks/pre-receive runs every executable in hooks/pre-receive.d/ (gitea = Forgejo's own)");

  step(`scripts/install-hook ${bare}`);
  const installed = await run(INSTALL_HOOK, [bare]);
  show(installed.output);
  if (installed.code !== 0)
    throw new DemoError("install-hook failed", { output: installed.output });

  step("guardrail.* settings live in the bare repository's git config");
  await git(["config", "guardrail.branch", "main"], bare);
  await git(["config", "guardrail.timeout", "120"], bare);
  show(await git(["config", "--get-regexp", "^guardrail\\."], bare));

  step("a developer commits the app with a bug its own test catches, and pushes to main");
  await git(["init", "-q", "-b", "main", work], ws.root);
  await git(["remote", "add", "origin", bare], work);
  const refusedSha = await commitFiles(work, BROKEN_APP, "Add finishing tasks", git);
  const refused = await run("git", ["push", "origin", "main"], work);
  show(refused.output);
  if (refused.code === 0) {
    throw new DemoError("the push with a failing test was accepted", { output: refused.output });
  }
  ok(`push refused (git exit ${refused.code}): main does not have ${refusedSha.slice(0, 7)}`);

  step("the developer fixes the bug and pushes again");
  const acceptedSha = await commitFiles(work, FIXED_APP, "Mark finished tasks done", git);
  const accepted = await run("git", ["push", "origin", "main"], work);
  show(accepted.output);
  if (accepted.code !== 0) {
    throw new DemoError("the push of the fix was refused", { output: accepted.output });
  }
  const main = await git(["rev-parse", "main"], bare);
  if (main !== acceptedSha) throw new DemoError(`main is ${main}, expected ${acceptedSha}`);
  ok(`push accepted: main is now ${acceptedSha.slice(0, 7)}`);

  const auditLog = join(bare, "guardrail-audit.log");
  step(`the audit log, one JSON line per push: ${auditLog}`);
  show(readFileSync(auditLog, "utf8"), { maxLines: 4 });
  return { bare, work, auditLog, refusedSha, acceptedSha };
}

async function commitFiles(
  work: string,
  files: Record<string, string>,
  message: string,
  git: (args: string[], cwd: string) => Promise<string>,
): Promise<string> {
  for (const [name, content] of Object.entries(files)) writeFileSync(join(work, name), content);
  await git(["add", "-A"], work);
  await git(["commit", "-q", "-m", message], work);
  return git(["rev-parse", "HEAD"], work);
}
