// Second locations for backups: a folder (a second disk, a NAS mount) or a folder on another
// server over SSH. Both offer the same few operations, so replication is written once.
import { isAbsolute } from "node:path";

/**
 * One place backups are copied to. Every operation works inside the target's folder, which must
 * already exist (a missing folder usually means an unmounted disk: writing to the empty mount
 * point would fill the local disk). Operations throw on any failure; none is partial on success.
 */
export interface ReplicaTarget {
  /** How the target is named in logs, /health and /metrics; holds no secret. */
  readonly label: string;
  /** The names of the files in the target folder. */
  list(): Promise<string[]>;
  /** Copies a local file into the folder as `name` (a temporary name; mode 0600). */
  upload(localPath: string, name: string): Promise<void>;
  /** The sha256 (hex) of each named file in the folder, computed where the file is. */
  sha256(names: readonly string[]): Promise<Record<string, string>>;
  /** Renames files within the folder, in order, replacing any file under the new name. */
  rename(pairs: readonly (readonly [from: string, to: string])[]): Promise<void>;
  /** Deletes the named files; missing ones are not an error. */
  remove(names: readonly string[]): Promise<void>;
}

export type TargetSpec =
  | { kind: "dir"; label: string; path: string }
  | { kind: "ssh"; label: string; user: string; host: string; port: number; path: string };

/** Parses BACKUP_REPLICA (comma-separated); problems name the variable and the bad entry. */
export function parseReplicaSpecs(value: string | undefined): {
  specs: TargetSpec[];
  problems: string[];
} {
  const specs: TargetSpec[] = [];
  const problems: string[] = [];
  const entries = (value ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");

  for (const entry of entries) {
    if (entry.startsWith("ssh://")) {
      const spec = parseSshUrl(entry);
      if (spec) specs.push(spec);
      else {
        problems.push(`BACKUP_REPLICA: "${entry}" is not ssh://user@host[:port]/absolute/path`);
      }
    } else if (isAbsolute(entry)) {
      specs.push({ kind: "dir", label: entry.replace(/\/+$/, "") || "/", path: entry });
    } else {
      problems.push(
        `BACKUP_REPLICA: "${entry}" is neither an absolute folder nor ssh://user@host[:port]/path`,
      );
    }
  }
  const labels = specs.map((spec) => spec.label);
  for (const label of new Set(labels)) {
    if (labels.indexOf(label) !== labels.lastIndexOf(label)) {
      problems.push(`BACKUP_REPLICA: "${label}" is listed twice`);
    }
  }
  return { specs, problems };
}

function parseSshUrl(entry: string): TargetSpec | undefined {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return undefined;
  }
  const path = decodeURIComponent(url.pathname);
  if (!url.username || url.password || !url.hostname || path.length < 2) return undefined;
  if (url.search || url.hash) return undefined;
  const port = url.port ? Number(url.port) : 22;
  const user = decodeURIComponent(url.username);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const label = `ssh://${user}@${url.host}${path.replace(/\/+$/, "")}`;
  return { kind: "ssh", label, user, host, port, path };
}
