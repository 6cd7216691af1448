// A replica in a local folder: a second disk or a NAS mount.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, chmod, open, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { GuardrailError } from "../shared/errors.js";
import type { ReplicaTarget } from "./replica-target.js";

/** A target folder that must exist already (see ReplicaTarget). */
export class DirTarget implements ReplicaTarget {
  constructor(
    readonly label: string,
    private readonly path: string,
  ) {}

  async list(): Promise<string[]> {
    const info = await stat(this.path).catch(() => undefined);
    if (!info?.isDirectory()) {
      throw new GuardrailError(`replica folder ${this.path} does not exist`, {
        hint: "create it, or mount the disk it lives on (it is never created, so an unmounted disk is noticed)",
      });
    }
    return readdir(this.path);
  }

  async upload(localPath: string, name: string): Promise<void> {
    const dest = join(this.path, name);
    await copyFile(localPath, dest);
    await chmod(dest, 0o600);
    const handle = await open(dest, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async sha256(names: readonly string[]): Promise<Record<string, string>> {
    const sums: Record<string, string> = {};
    for (const name of names) {
      const hash = createHash("sha256");
      await pipeline(createReadStream(join(this.path, name)), hash);
      sums[name] = hash.digest("hex");
    }
    return sums;
  }

  async rename(pairs: readonly (readonly [string, string])[]): Promise<void> {
    for (const [from, to] of pairs) await rename(join(this.path, from), join(this.path, to));
    const handle = await open(this.path, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async remove(names: readonly string[]): Promise<void> {
    for (const name of names) await rm(join(this.path, name), { force: true });
  }
}
