// The dependency cache: installed node_modules kept read-only under guardrail.cacheDir, one entry
// per key (see dep-cache-key.ts), shared by every push of every repository of the git user.
//
// Layout of `<cacheDir>/deps/`:
//   <key>/node_modules/    the copy, read-only; the folder's mtime is its last use
//   <key>/entry.json       written last, before the folder gets its final name
//   .staging-<pid>-<rand>/ an entry being written; renamed to <key> in one step when complete
//   .trash-<pid>-<rand>/   an entry on its way out
//   leases/<key>.<pid>.<deadline>  a push using <key> until its deadline
//
// No lock: an entry appears under its key by one rename, so readers never see half of one, and
// a reader checks the fingerprint before linking it, so a changed or damaged one is never used.
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  copyReadOnly,
  fingerprintTree,
  linkModules,
  removeReadOnlyTree,
} from "./dep-cache-entry.js";
import { leasedKeys, pruneDependencyCache } from "./dep-cache-prune.js";

export interface EntryRecord {
  format: 1;
  fingerprint: string;
  createdAt: string;
}

const LINKS = ".guardrail-node_modules";
const INSTALLED_ASIDE = ".guardrail-node_modules-installed";

export type RestoreOutcome = "reused" | "missing" | "damaged";

/** How many entries stay when nothing uses them: enough for a few branches' lockfiles. */
export const KEEP_ENTRIES = 3;

export interface DependencyCache {
  /**
   * Links the entry for `key` into `projectDir` when there is a sound one ("reused"). A damaged
   * entry (changed files, no entry.json) is removed ("damaged"); the caller installs instead.
   * Leases the key until `deadline` either way, so that pruning leaves it alone.
   */
  restore(key: string, projectDir: string, deadline: number): RestoreOutcome;
  /**
   * Copies `projectDir/node_modules`, just installed, into a new entry for `key`, then replaces
   * it with links to the entry, so the tests never write into bun's package cache either. When
   * another push published the key first, its entry is used. Throws when the copy fails (a full
   * disk); `projectDir/node_modules` is then as the install left it.
   */
  publish(key: string, projectDir: string): void;
}

/** The dependency cache under `cacheDir` (created on first use). */
export function openDependencyCache(cacheDir: string): DependencyCache {
  const root = join(cacheDir, "deps");
  const leases = join(root, "leases");

  return {
    restore(key, projectDir, deadline) {
      mkdirSync(leases, { recursive: true, mode: 0o700 });
      writeFileSync(join(leases, `${key}.${process.pid}.${deadline}`), "");
      const entry = join(root, key);
      const record = readRecord(entry);
      if (record === "missing") return "missing";
      if (
        record === "damaged" ||
        fingerprintTree(join(entry, "node_modules")) !== record.fingerprint
      ) {
        discard(root, entry);
        return "damaged";
      }
      linkModules(join(entry, "node_modules"), projectDir);
      const now = new Date();
      utimesSync(entry, now, now);
      // Expired leases of earlier pushes go here, so that pushes which only reuse leave none.
      leasedKeys(root);
      return "reused";
    },

    publish(key, projectDir) {
      const installed = join(projectDir, "node_modules");
      const staging = join(root, `.staging-${process.pid}-${randomBytes(6).toString("hex")}`);
      mkdirSync(staging, { recursive: true, mode: 0o700 });
      try {
        copyReadOnly(installed, join(staging, "node_modules"));
        const record: EntryRecord = {
          format: 1,
          fingerprint: fingerprintTree(join(staging, "node_modules")),
          createdAt: new Date().toISOString(),
        };
        writeFileSync(join(staging, "entry.json"), `${JSON.stringify(record)}\n`);
      } catch (error) {
        removeReadOnlyTree(staging);
        throw error;
      }

      let entry = join(root, key);
      try {
        renameSync(staging, entry);
      } catch {
        // Published by another push meanwhile (ENOTEMPTY): the same dependencies. This push
        // tests on its own copy, which the next prune removes once this process is gone.
        entry = staging;
      }
      // Links first under another name, then two renames, so that the tests see either the
      // installed folder or the links, never a half-removed one; the installed copy goes last,
      // and a failure to remove it costs only disk until the workspace is removed.
      linkModules(join(entry, "node_modules"), projectDir, LINKS);
      const aside = join(projectDir, INSTALLED_ASIDE);
      renameSync(installed, aside);
      try {
        renameSync(join(projectDir, LINKS), installed);
      } catch (error) {
        renameSync(aside, installed);
        throw error;
      }
      rmSync(aside, { recursive: true, force: true, maxRetries: 0 });
      pruneDependencyCache(root, KEEP_ENTRIES);
    },
  };
}

function readRecord(entry: string): EntryRecord | "missing" | "damaged" {
  let text: string;
  try {
    text = readFileSync(join(entry, "entry.json"), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A folder under a key without its record was not made by publish: treat it as damaged.
    return code === "ENOENT" && !existsSync(entry) ? "missing" : "damaged";
  }
  try {
    const record = JSON.parse(text) as Partial<EntryRecord>;
    return record.format === 1 && typeof record.fingerprint === "string"
      ? (record as EntryRecord)
      : "damaged";
  } catch {
    return "damaged";
  }
}

/**
 * Moves `entry` out of the way in one rename (readers then find no entry), then removes it.
 * Another push may be discarding it at the same moment: whichever rename loses does nothing.
 */
export function discard(root: string, entry: string): void {
  const trash = join(root, `.trash-${process.pid}-${randomBytes(6).toString("hex")}`);
  try {
    renameSync(entry, trash);
  } catch {
    return;
  }
  removeReadOnlyTree(trash);
}
