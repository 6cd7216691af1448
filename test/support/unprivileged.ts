// Running a command as an ordinary user. Root ignores file permissions and the process limit,
// so cases about unreadable files, read-only folders or fork bombs must run without it.
import { chownSync, lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** A uid/gid no account uses; setpriv needs no passwd entry for it. */
export const TEST_UID = 64123;
export const TEST_GID = 64123;

/** The argv prefix that runs a command as TEST_UID with no supplementary groups. */
export function asTestUser(argv: string[]): string[] {
  return [
    "setpriv",
    `--reuid=${TEST_UID}`,
    `--regid=${TEST_GID}`,
    "--clear-groups",
    "--inh-caps=-all",
    ...argv,
  ];
}

/** Gives `path` and everything under it (not following symlinks) to the test user. */
export function chownToTestUser(path: string): void {
  chownSync(path, TEST_UID, TEST_GID);
  if (!lstatSync(path).isDirectory()) return;
  for (const entry of readdirSync(path)) {
    const child = join(path, entry);
    if (lstatSync(child).isSymbolicLink()) continue;
    chownToTestUser(child);
  }
}
