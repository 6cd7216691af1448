// The two ways of taking one backup: `guardrail-backup once`, and the shell pipeline a user
// would write (sqlite3 .backup, PRAGMA quick_check, gzip at the same level). Both start from an
// empty output folder and leave it empty again; both are timed from spawn to exit.
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, exec, sh } from "../exec.js";

export interface BackupRun {
  ms: number;
  peakRssBytes: number | undefined;
  /** The compressed size. */
  bytes: number | undefined;
  /** The sidecar's own step timings from its manifest (ms). */
  timings?: Record<string, number>;
}

/** Runs `guardrail-backup once --no-prune` into `out`, under `nice -n <nice>` when given. */
export async function runSidecar(
  project: string,
  db: string,
  out: string,
  level: number,
  nice?: number,
): Promise<BackupRun> {
  resetDir(out);
  const command = ["node", join(project, "dist/daemon/main.js"), "once", "--no-prune"];
  if (nice !== undefined) command.unshift("nice", "-n", String(nice));
  const result = await exec(command[0]!, command.slice(1), {
    env: baseEnv({
      HOME: process.env.HOME,
      BACKUP_DB: db,
      BACKUP_DIR: out,
      BACKUP_GZIP_LEVEL: String(level),
      LOG_LEVEL: "warn",
    }),
    measureMemory: true,
  });
  const manifestFile = readdirSync(out).find((name) => name.endsWith(".json"));
  const manifest = manifestFile
    ? (JSON.parse(readFileSync(join(out, manifestFile), "utf8")) as {
        timings?: Record<string, number>;
        compressed?: { bytes: number };
      })
    : undefined;
  if (!manifest)
    throw new Error(`guardrail-backup once wrote no manifest in ${out}:\n${result.output}`);
  resetDir(out);
  return {
    ms: result.ms,
    peakRssBytes: result.peakRssBytes,
    bytes: manifest.compressed?.bytes,
    timings: manifest.timings,
  };
}

// What a user would put in cron. quick_check prints "ok" or the problems; gzip replaces the
// snapshot by snapshot.gz.
const PIPELINE = `set -e
sqlite3 "$DB" ".backup '$OUT/snapshot.sqlite3'"
test "$(sqlite3 "$OUT/snapshot.sqlite3" "PRAGMA quick_check")" = ok
gzip -"$LEVEL" "$OUT/snapshot.sqlite3"
stat -c %s "$OUT/snapshot.sqlite3.gz"
`;

/** Runs the shell pipeline into `out`; `allowFailure` for runs that may be cut short. */
export async function runPipeline(
  db: string,
  out: string,
  level: number,
  timeoutSeconds?: number,
): Promise<BackupRun & { ok: boolean }> {
  resetDir(out);
  const script = timeoutSeconds
    ? `timeout ${timeoutSeconds} sh -c '${PIPELINE.replaceAll("'", "'\\''")}'`
    : PIPELINE;
  const result = await sh(script, {
    env: baseEnv({ HOME: process.env.HOME, DB: db, OUT: out, LEVEL: String(level) }),
    measureMemory: true,
    allowFailure: timeoutSeconds !== undefined,
  });
  resetDir(out);
  const bytes = Number(result.output.trim().split("\n").pop());
  return {
    ok: result.code === 0,
    ms: result.ms,
    peakRssBytes: result.peakRssBytes,
    bytes: Number.isFinite(bytes) ? bytes : undefined,
  };
}

function resetDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
}
