// A real, small filesystem for "disk full" cases: a tmpfs of a fixed size mounted on a folder,
// so writes past it fail with ENOSPC exactly as on a full disk. Needs root (CI runs as root).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";

export interface SmallDisk {
  path: string;
  /** Unmounts; whatever was written there is gone. Safe to call twice. */
  release(): void;
}

/** Mounts a tmpfs of `sizeKiB` KiB on `path` (created if missing). */
export function mountSmallDisk(path: string, sizeKiB: number, mode = "0755"): SmallDisk {
  mkdirSync(path, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeKiB}k,mode=${mode}`, "tmpfs", path]);
  } catch (error) {
    throw new Error(`cannot mount a ${sizeKiB} KiB tmpfs on ${path}: these tests run as root`, {
      cause: error,
    });
  }
  let mounted = true;
  return {
    path,
    release() {
      if (!mounted) return;
      execFileSync("umount", ["--lazy", path]);
      mounted = false;
    },
  };
}
