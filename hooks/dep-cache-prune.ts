// Keeping the dependency cache small: the most recently used entries stay, an entry a running
// push has leased stays, and what crashed hooks left behind (staging copies, trash) goes.
import { readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { removeReadOnlyTree } from "./dep-cache-entry.js";

const KEY = /^[0-9a-f]{32}$/;
const LEFTOVER = /^\.(staging|trash)-(\d+)-[0-9a-f]+$/;
const LEASE = /^([0-9a-f]{32})\.(\d+)\.(\d+)$/;

/**
 * Removes entries beyond the `keep` most recently used that no live lease holds, leftovers of
 * hooks that are gone, and expired leases. Never throws: a cache that cannot be tidied still
 * works, and the next push tries again.
 */
export function pruneDependencyCache(root: string, keep: number): void {
  const names = safeList(root);
  for (const name of names) {
    const leftover = LEFTOVER.exec(name);
    if (leftover && !isAlive(Number(leftover[2])))
      quietly(() => removeReadOnlyTree(join(root, name)));
  }

  const entries = names
    .filter((name) => KEY.test(name))
    .map((name) => ({ name, used: safeMtime(join(root, name)) }))
    .sort((a, b) => b.used - a.used);
  for (const { name } of entries.slice(keep)) {
    if (leasedKeys(root).has(name)) continue;
    // Out of sight in one rename first; a push that leased the key in between gets it back.
    const trash = join(root, `.trash-${process.pid}-${name}`);
    if (!quietly(() => renameSync(join(root, name), trash))) continue;
    if (leasedKeys(root).has(name) && quietly(() => renameSync(trash, join(root, name)))) continue;
    quietly(() => removeReadOnlyTree(trash));
  }
}

/** Keys held by a lease of a live process before its deadline; removes the other leases. */
export function leasedKeys(root: string): Set<string> {
  const dir = join(root, "leases");
  const held = new Set<string>();
  for (const name of safeList(dir)) {
    const lease = LEASE.exec(name);
    if (lease?.[1] && Number(lease[3]) > Date.now() && isAlive(Number(lease[2]))) {
      held.add(lease[1]);
    } else {
      quietly(() => rmSync(join(dir, name), { force: true }));
    }
  }
  return held;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeMtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function quietly(action: () => void): boolean {
  try {
    action();
    return true;
  } catch {
    return false;
  }
}
