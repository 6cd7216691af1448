// Deciding whether a commit's installed dependencies may be reused, and under which key: the
// key must change whenever `bun install` could produce a different node_modules.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, readFile } from "node:fs/promises";
import { join } from "node:path";

export type ReusePlan = { key: string; reason?: undefined } | { key?: undefined; reason: string };

/** Bumped whenever the layout or the meaning of an entry changes. */
const FORMAT = "deps-1";

// Only the install command itself: `bun install` with flags and nothing chained after it, so
// that skipping it skips nothing else (a build step, a code generator).
const PLAIN_BUN_INSTALL = /^bun install(\s+--?[a-z][a-z-]*(=[\w.@/-]+)?)*$/;

// Scripts bun runs for the root package during `bun install`: their effects may lie outside
// node_modules, where a reused copy would not bring them.
const ROOT_INSTALL_SCRIPTS = [
  "preinstall",
  "install",
  "postinstall",
  "preprepare",
  "prepare",
  "postprepare",
];

// Dependencies that live in the pushed tree: their files can change without the lockfile
// changing, so the lockfile's hash does not describe them.
const LOCAL_SPECIFIER = /\b(file|link|workspace|portal):/;

/** Files besides package.json and the lockfile that change what bun installs. */
const INSTALL_SETTINGS = ["bunfig.toml", ".npmrc"];

/**
 * Decides whether the dependencies of the project in `projectDir` may come from the dependency
 * cache, and with which key. Never throws for the project's content: anything unusual is a
 * reason not to reuse, and the install then runs as usual.
 */
export async function planDependencyReuse(
  projectDir: string,
  installCommand: string,
): Promise<ReusePlan> {
  if (!PLAIN_BUN_INSTALL.test(installCommand.trim())) {
    return { reason: "guardrail.installCommand is not a plain `bun install`" };
  }
  if (existsSync(join(projectDir, "node_modules"))) {
    return { reason: "the commit has a node_modules folder of its own" };
  }
  const lockName = ["bun.lock", "bun.lockb"].find((name) => existsSync(join(projectDir, name)));
  if (!lockName) return { reason: "there is no bun.lock" };

  // The hook reads these itself, before any limit or timeout applies: a symlink in the commit
  // could point it at /dev/zero (gigabytes of memory) or a file of the server's.
  for (const name of ["package.json", lockName, ...INSTALL_SETTINGS]) {
    const info = await lstat(join(projectDir, name)).catch(() => undefined);
    if (info && !info.isFile()) return { reason: `${name} is not a regular file (a symlink?)` };
  }

  const [pkgText, lock, ...settings] = await Promise.all([
    readFile(join(projectDir, "package.json"), "utf8"),
    readFile(join(projectDir, lockName)),
    ...INSTALL_SETTINGS.map((name) => readFile(join(projectDir, name)).catch(() => undefined)),
  ]);
  const unusual = unusualPackage(pkgText);
  if (unusual) return { reason: unusual };
  if (LOCAL_SPECIFIER.test(pkgText) || LOCAL_SPECIFIER.test(lock.toString("latin1"))) {
    return { reason: "a dependency is a local folder (file:, link: or workspace:)" };
  }

  const hash = createHash("sha256");
  for (const part of [FORMAT, ...runtimeIdentity(), installCommand.trim(), lockName]) {
    hash.update(`${part}\0`);
  }
  for (const content of [pkgText, lock, ...settings]) {
    hash.update(content === undefined ? "-" : createHash("sha256").update(content).digest("hex"));
    hash.update("\0");
  }
  return { key: hash.digest("hex").slice(0, 32) };
}

/** Why a package.json rules out reuse, or undefined when it does not. */
function unusualPackage(text: string): string | undefined {
  let pkg: unknown;
  try {
    pkg = JSON.parse(text);
  } catch {
    return "package.json is not valid JSON";
  }
  if (typeof pkg !== "object" || pkg === null) return "package.json is not an object";
  const fields = pkg as Record<string, unknown>;
  if (fields.workspaces !== undefined) return "package.json declares workspaces";
  if (fields.patchedDependencies !== undefined) return "package.json patches dependencies";
  const scripts = (fields.scripts ?? {}) as Record<string, unknown>;
  const script = ROOT_INSTALL_SCRIPTS.find((name) => scripts[name] !== undefined);
  return script ? `package.json has a ${script} script` : undefined;
}

// The bun that installs (the hook itself, see workspace.ts) and the machine it installs for:
// packages with native parts differ by platform, CPU and C library.
function runtimeIdentity(): string[] {
  const report = process.report?.getReport?.() as
    { header?: { glibcVersionRuntime?: string } } | undefined;
  const libc = report?.header?.glibcVersionRuntime ? "glibc" : "other-libc";
  return [
    process.versions.bun ?? `node-${process.versions.node}`,
    process.platform,
    process.arch,
    libc,
  ];
}
