// Part 2 of the demo: a live SQLite database in WAL mode with a writer process committing rows,
// and `guardrail-backup` taking, listing, verifying, pruning, restoring and drilling backups.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Processes, Started } from "./processes.js";
import { DemoError, note, ok, section, show, step } from "./say.js";
import { APP_SCRIPT, BACKUP_CLI, type Workspace } from "./workspace.js";

export interface BackupsResult {
  db: string;
  dir: string;
  /** Environment for guardrail-backup: the workspace's plus BACKUP_*. */
  env: Record<string, string>;
  /** Backup files taken by `once`, oldest first. */
  taken: string[];
  restoredTo: string | undefined;
  drilled: boolean;
  writer: Started;
}

export async function demoBackups(ws: Workspace, procs: Processes): Promise<BackupsResult> {
  section("2. The backup sidecar: verified backups of a database that is being written");
  const db = ws.path("app/data/tasks.db");
  const dir = ws.path("app/data/backups/.keep").replace(/\/\.keep$/, "");
  const env = { ...ws.env, BACKUP_DB: db, BACKUP_DIR: dir, BACKUP_PORT: "0" };
  const opts = { cwd: ws.root, env };
  const node = nodeBinary();
  const backup = (args: string[]) => procs.run(node, [BACKUP_CLI, ...args], opts);
  const count = (path: string) => procs.run(node, [APP_SCRIPT, "count", path], opts);

  step(`the app: a process committing a task every 5 ms to ${db} (WAL mode)`);
  const writer = procs.start(node, [APP_SCRIPT, "write", db, "5"], opts);
  await writer.waitForLine(/^writing \d+/);
  note("BACKUP_DB and BACKUP_DIR point guardrail-backup at it; everything else is default");

  const taken: string[] = [];
  for (const round of [1, 2]) {
    step(`guardrail-backup once --no-prune   (backup ${round} of 2, while the app writes)`);
    const result = await backup(["once", "--no-prune"]);
    const finished = parseFinished(result.output);
    if (result.code !== 0 || !finished) {
      throw new DemoError("guardrail-backup once failed", { output: result.output });
    }
    // `once` writes JSON log lines; this is its "backup run finished" record, summed up.
    show(
      `(from its JSON record) ${finished.file}: ${finished.uncompressedBytes} bytes of database -> ` +
        `${finished.bytes} bytes gzip, checked and published in ${finished.durationMs} ms`,
    );
    taken.push(finished.file);
  }
  ok(`two verified backups of a database under constant writes`);

  step(`the backup folder: ${dir}`);
  show(listFolder(dir));
  const newest = taken.at(-1)!;
  const manifest = newest.replace(/\.sqlite3\.gz$/, ".json");
  step(`the manifest beside the newest backup: ${manifest}`);
  show(readFileSync(join(dir, manifest), "utf8"), { maxLines: 50 });

  for (const args of [["list"], ["verify", newest], ["prune", "--dry-run"]]) {
    step(`guardrail-backup ${args.join(" ")}`);
    const result = await backup(args);
    show(withoutJsonLogs(result.output));
    if (result.code !== 0) throw new DemoError(`guardrail-backup ${args[0]} failed`);
  }
  note("prune --dry-run only says what the retention rule would delete; nothing was deleted");

  const commands = (await backup(["--help"])).output;
  const restoredTo = commands.includes("restore")
    ? await demoRestore(ws, { backup, count }, newest, db)
    : notWired("restore");
  const drilled = commands.includes("drill") ? await demoDrill(backup) : !!notWired("drill");
  return { db, dir, env, taken, restoredTo, drilled, writer };
}

type Run = (args: string[]) => Promise<{ code: number; output: string }>;

/** Restores into a scratch path, then shows that restoring over the live database is refused. */
async function demoRestore(
  ws: Workspace,
  { backup, count }: { backup: Run; count: (path: string) => ReturnType<Run> },
  file: string,
  live: string,
) {
  const target = ws.path("scratch/tasks.db");
  step(`guardrail-backup restore ${file} --to ${target}`);
  const restored = await backup(["restore", file, "--to", target]);
  show(withoutJsonLogs(restored.output));
  if (restored.code !== 0) throw new DemoError("restore into a scratch path failed");
  const counted = await count(target);
  show(`rows in the restored copy: ${counted.output.trim().replaceAll("\n", ", ")}`);
  ok(`restored into ${target}`);

  step(`guardrail-backup restore --latest --to ${live}   (while the app still has it open)`);
  const refused = await backup(["restore", "--latest", "--to", live]);
  show(withoutJsonLogs(refused.output));
  if (refused.code === 0) throw new DemoError("a restore over the open live database went ahead");
  ok(`refused: the app must be stopped before its database is replaced (exit ${refused.code})`);
  return target;
}

async function demoDrill(backup: Run): Promise<boolean> {
  step("guardrail-backup drill   (restore the newest verified backup in a temp dir and check it)");
  const drill = await backup(["drill"]);
  show(withoutJsonLogs(drill.output));
  if (drill.code !== 0) throw new DemoError("the restore drill failed", { output: drill.output });
  ok("restore drill passed");
  return true;
}

function notWired(command: string): undefined {
  step(`guardrail-backup ${command}`);
  note(`skipped: this build of guardrail-backup has no \`${command}\` subcommand yet`);
  return undefined;
}

/** The `backup run finished` log line of `once`, parsed. */
function parseFinished(output: string) {
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.msg === "backup run finished" && entry.outcome === "ok") {
        return entry as {
          file: string;
          bytes: number;
          uncompressedBytes: number;
          durationMs: number;
        };
      }
    } catch {
      // Not a log line.
    }
  }
  return undefined;
}

/** Human output only: pino's JSON lines go to backup.log anyway. */
function withoutJsonLogs(output: string): string {
  return output
    .split("\n")
    .filter((line) => !line.startsWith('{"level"'))
    .join("\n");
}

function listFolder(dir: string): string {
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const stat = statSync(join(dir, name));
      const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
      return `${mode}  ${String(stat.size).padStart(7)}  ${name}`;
    })
    .join("\n");
}

/** Node runs the CLI and the app (better-sqlite3 is built for node, not for bun). */
export function nodeBinary(): string {
  return process.env.GUARDRAIL_DEMO_NODE ?? "node";
}
