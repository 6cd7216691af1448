// The demo's throwaway workspace: one folder under the system temp dir holding everything the
// demo and its children write, down to git's config and bun's caches (HOME and TMPDIR point
// inside it), so the demo never touches anything else on the machine.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

/** The project root (where dist/ and scripts/install-hook are). */
export const PROJECT = resolve(import.meta.dirname, "../..");
export const BACKUP_CLI = join(PROJECT, "dist/daemon/main.js");
export const INSTALL_HOOK = join(PROJECT, "scripts/install-hook");
export const APP_SCRIPT = join(PROJECT, "scripts/demo/app.mjs");

export interface Workspace {
  root: string;
  home: string;
  tmp: string;
  /** The environment for every child: nothing of ours leaks in, nothing of theirs leaks out. */
  env: Record<string, string>;
  /** `root/<relative>`, with its parent folders created. */
  path(relative: string): string;
}

/** Creates a fresh workspace under os.tmpdir() (or $TMPDIR). */
export function createWorkspace(): Workspace {
  const root = mkdtempSync(join(tmpdir(), "guardrail-demo-"));
  const home = join(root, "home");
  const tmp = join(root, "tmp");
  mkdirSync(home, { recursive: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(
    join(home, ".gitconfig"),
    "[user]\n\tname = Demo Pusher\n\temail = demo@example.com\n[init]\n\tdefaultBranch = main\n",
  );

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: process.env.LANG ?? "C.UTF-8",
    TZ: "UTC",
    HOME: home,
    TMPDIR: tmp,
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_CONFIG_HOME: join(home, ".config"),
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: join(home, ".gitconfig"),
    NO_COLOR: "1",
  };
  return {
    root,
    home,
    tmp,
    env,
    path(relative) {
      const full = join(root, relative);
      mkdirSync(dirname(full), { recursive: true });
      return full;
    },
  };
}
