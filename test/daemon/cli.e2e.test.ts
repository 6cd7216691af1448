import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { TEMP_PREFIX } from "../../daemon/manifest.js";
import { CLI, query, runCli, seedDatabase } from "../support/backup-env.js";
import { useBackupEnv } from "../support/use-backup-env.js";

const backup = useBackupEnv();

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
});

const published = () =>
  readdirSync(backup.ws.dir).filter((file) => /^tasks-.*\.(sqlite3\.gz|json)$/.test(file));
const temporary = () => readdirSync(backup.ws.dir).filter((file) => file.startsWith(TEMP_PREFIX));

describe("guardrail-backup", () => {
  it("takes a backup with `once`, lists it as verified, verifies it and exits 0 each time", () => {
    seedDatabase(backup.ws.db, 500);
    const once = runCli(["once"], backup.ws.env);
    expect(once.status, once.stderr).toBe(0);
    const record = JSON.parse(once.stdout.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(record).toMatchObject({ msg: "backup run finished", outcome: "ok" });
    // The same record line is in backup.log.
    const log = readFileSync(join(backup.ws.dir, "backup.log"), "utf8").trim().split("\n");
    expect(JSON.parse(log.at(-1)!)).toEqual(record);

    const list = runCli(["list", "--json"], backup.ws.env);
    expect(list.status).toBe(0);
    const rows = JSON.parse(list.stdout) as { file: string; verified: boolean }[];
    expect(rows).toEqual([expect.objectContaining({ file: record.file, verified: true })]);

    const verify = runCli(["verify", String(record.file)], backup.ws.env);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toContain("ok");
  });

  it("finds a bare backup name for `verify` and `restore` in the default BACKUP_DIR beside BACKUP_DB", () => {
    seedDatabase(backup.ws.db, 20);
    const env = { BACKUP_DB: backup.ws.db, TZ: "UTC" };
    expect(runCli(["once"], env).status).toBe(0);
    const file = published().find((name) => name.endsWith(".gz"))!;

    // The CLI runs from the project folder, not from the backups' folder.
    const verify = runCli(["verify", file], env);
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout).toContain(`${file}: ok`);

    const elsewhere = join(backup.ws.tmp.path, "elsewhere");
    mkdirSync(elsewhere);
    const restore = runCli(["restore", file, "--to", join(elsewhere, "tasks.db")], env);
    expect(restore.status, restore.stderr).toBe(0);
    expect(restore.stdout).toContain(`restored ${join(backup.ws.dir, file)}`);
  });

  it("gives a restored database the WAL mode the replaced one had, and says so", () => {
    seedDatabase(backup.ws.db, 20);
    expect(runCli(["once"], backup.ws.env).status).toBe(0);
    const journalMode = (path: string) =>
      query<{ journal_mode: string }>(path, "PRAGMA journal_mode")[0]!.journal_mode;
    expect(journalMode(backup.ws.db)).toBe("wal");

    const over = runCli(["restore", "--latest", "--to", backup.ws.db], backup.ws.env);
    expect(over.status, over.stderr).toBe(0);
    expect(over.stdout).toContain("journal_mode wal (as the replaced database had)");
    expect(journalMode(backup.ws.db)).toBe("wal");

    // No database to replace: the mode recorded in the manifest.
    const fresh = join(backup.ws.tmp.path, "fresh");
    mkdirSync(fresh);
    const into = runCli(["restore", "--latest", "--to", join(fresh, "tasks.db")], backup.ws.env);
    expect(into.status, into.stderr).toBe(0);
    expect(into.stdout).toContain("journal_mode wal (as the backed-up database had)");
    expect(journalMode(join(fresh, "tasks.db"))).toBe("wal");
  });

  it("says where it looked when `verify` is given a backup that does not exist", () => {
    const env = { BACKUP_DB: backup.ws.db, TZ: "UTC" };
    const bare = runCli(["verify", "nonexistent.gz"], env);
    expect(bare.status).toBe(1);
    expect(bare.stderr).toContain(
      `no backup named nonexistent.gz in BACKUP_DIR (${backup.ws.dir}) or the current folder`,
    );
    expect(bare.stderr).not.toContain("non.json");
    const path = join(backup.ws.dir, "nonexistent.gz");
    const given = runCli(["verify", path], env);
    expect(given.status).toBe(1);
    expect(given.stderr).toContain(`${path} does not exist`);
  });

  it("fails `verify` on a damaged backup with a one-line reason and exit 1", () => {
    seedDatabase(backup.ws.db, 500);
    expect(runCli(["once"], backup.ws.env).status).toBe(0);
    const file = published().find((name) => name.endsWith(".gz"))!;
    const path = join(backup.ws.dir, file);
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(path, bytes);
    const verify = runCli(["verify", path], backup.ws.env);
    expect(verify.status).toBe(1);
    expect(verify.stderr.split("\n")[0]).toMatch(/^guardrail-backup: .*(sha256|gzip)/);
  });

  it("says with `prune --dry-run` what would go and why, and deletes nothing", () => {
    seedDatabase(backup.ws.db, 10);
    for (let i = 0; i < 3; i++)
      expect(runCli(["once", "--no-prune"], backup.ws.env).status).toBe(0);
    const before = published();
    const dry = runCli(["prune", "--dry-run"], {
      ...backup.ws.env,
      BACKUP_KEEP_DAILY: "1",
      BACKUP_KEEP_WEEKLY: "0",
    });
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout.match(/^would delete /gm)).toHaveLength(2);
    // The log line counts what a dry run would delete, not "deleted".
    const finished = dry.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.msg === "prune finished");
    expect(finished).toMatchObject({ wouldDelete: 2, dryRun: true });
    expect(finished).not.toHaveProperty("deleted");
    expect(dry.stdout).toMatch(/^keep .*newest verified/m);
    expect(published()).toEqual(before);
  });

  it("explains an unverified backup in `prune --dry-run` without nested parentheses", () => {
    seedDatabase(backup.ws.db, 10);
    for (let i = 0; i < 2; i++)
      expect(runCli(["once", "--no-prune"], backup.ws.env).status).toBe(0);
    const oldest = published()
      .filter((file) => file.endsWith(".json"))
      .sort()[0]!;
    rmSync(join(backup.ws.dir, oldest));
    const dry = runCli(["prune", "--dry-run"], backup.ws.env);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      /^keep +tasks-.*\.sqlite3\.gz {2}\(not verified, so never pruned by the rule\)$/m,
    );
    expect(dry.stdout).not.toMatch(/\(not verified \(/);
  });

  it("refuses a missing database with exit 2, naming BACKUP_DB, and does not create it", () => {
    const result = runCli(["once"], backup.ws.env);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/BACKUP_DB: .*tasks\.db does not exist/);
    expect(existsSync(backup.ws.db)).toBe(false);
  });

  it("says a BACKUP_DB that is not a SQLite file is not a database, not that it is damaged", () => {
    writeFileSync(backup.ws.db, "these are my notes, not a database\n".repeat(200));
    const result = runCli(["once"], backup.ws.env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `hint: ${backup.ws.db} is not a SQLite database; check that BACKUP_DB points at the app's database file`,
    );
    expect(result.stderr).not.toContain("looks damaged");
  });

  it("lists every bad variable together with exit 2", () => {
    seedDatabase(backup.ws.db, 1);
    const result = runCli(["once"], {
      ...backup.ws.env,
      BACKUP_CHECK: "deep",
      BACKUP_KEEP_DAILY: "x",
      TZ: "Nowhere/Land",
    });
    expect(result.status).toBe(2);
    for (const name of ["BACKUP_CHECK", "BACKUP_KEEP_DAILY", "TZ"])
      expect(result.stderr).toContain(`- ${name}`);
  });

  it("refuses an unusable backup folder with exit 2, naming BACKUP_DIR", () => {
    seedDatabase(backup.ws.db, 1);
    const file = join(backup.ws.tmp.path, "not-a-folder");
    writeFileSync(file, "");
    const result = runCli(["once"], { ...backup.ws.env, BACKUP_DIR: join(file, "backups") });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/BACKUP_DIR: .*cannot be created/);
  });

  it("exits 2 on bad usage and 0 on --help for every subcommand", () => {
    expect(runCli(["backup-everything"], backup.ws.env).status).toBe(2);
    expect(runCli(["verify"], backup.ws.env).status).toBe(2);
    for (const command of ["run", "once", "list", "verify", "prune", "print-config"]) {
      const help = runCli([command, "--help"], backup.ws.env);
      expect(help.status).toBe(0);
      expect(help.stdout).toContain(`Usage: guardrail-backup ${command}`);
    }
  });

  it("prints the configuration with secrets masked and durations as they are written", () => {
    const result = runCli(["print-config"], {
      ...backup.ws.env,
      BACKUP_NOTIFY_URL: "https://backup:s3cret@example.com/hook/tok-123?X-Sig=abc",
      BACKUP_TIMEOUT: "45m",
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain(`BACKUP_DB=${backup.ws.db}`);
    expect(result.stdout).toContain("BACKUP_GZIP_LEVEL=3");
    expect(result.stdout).toContain("BACKUP_NOTIFY_URL=https://***:***@example.com/***?***");
    expect(result.stdout).not.toMatch(/s3cret|tok-123|abc/);
    expect(result.stdout).toMatch(/^BACKUP_MAX_AGE=25h$/m);
    expect(result.stdout).toMatch(/^BACKUP_TIMEOUT=45m$/m);
    expect(result.stdout).toMatch(/^BACKUP_REPLICA_TIMEOUT=10m$/m);
  });

  it("refuses BACKUP_DIR=/proc/foo with exit 2 instead of looping on mkdir (once and list)", () => {
    seedDatabase(backup.ws.db, 1);
    for (const command of ["once", "list"]) {
      // The deadline only stops a regression from hanging the suite; the assertion is the exit.
      const result = spawnSync(process.execPath, [CLI, command], {
        env: { PATH: process.env.PATH ?? "", ...backup.ws.env, BACKUP_DIR: "/proc/foo" },
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(result.status, `${command}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain("BACKUP_DIR: /proc/foo cannot be created (");
    }
  });

  it("creates nothing when the configuration is invalid (once, list, print-config)", () => {
    const db = join(backup.ws.tmp.path, "x", "deeper", "missing.db");
    for (const command of ["once", "list", "print-config"]) {
      const result = runCli([command], { BACKUP_DB: db, BACKUP_KEEP_DAYLY: "3" });
      expect(result.status, command).toBe(2);
      expect(result.stderr).toContain("did you mean BACKUP_KEEP_DAILY?");
      expect(existsSync(join(backup.ws.tmp.path, "x")), command).toBe(false);
    }
    expect(runCli(["once"], { BACKUP_DB: db }).status).toBe(2);
    expect(existsSync(join(backup.ws.tmp.path, "x"))).toBe(false);
  });

  for (const phase of ["snapshot", "compress"] as const) {
    it(`leaves no file under a final name when killed with SIGKILL during the ${phase}, and the next run cleans up`, async () => {
      seedDatabase(backup.ws.db, 60_000, 400);
      const child = spawn(process.execPath, [CLI, "once"], {
        env: { PATH: process.env.PATH ?? "", ...backup.ws.env },
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      const wanted = phase === "snapshot" ? /\.sqlite3$/ : /\.sqlite3\.gz$/;
      // Wait for the phase's temporary file, then kill without warning.
      while (!temporary().some((file) => wanted.test(file))) {
        if (child.exitCode !== null) throw new Error("the backup ended before it could be killed");
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      child.kill("SIGKILL");
      await exited;
      expect(published()).toEqual([]);
      expect(temporary().length).toBeGreaterThan(0);

      const next = runCli(["once"], backup.ws.env);
      expect(next.status, next.stderr).toBe(0);
      expect(next.stdout).toContain("leftovers of an earlier run removed");
      expect(temporary()).toEqual([]);
      expect(published()).toHaveLength(2);
      expect(existsSync(join(backup.ws.dir, ".guardrail-backup.lock"))).toBe(false);
    });
  }

  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`stops \`once\` on ${signal} with exit ${code}, publishing nothing and removing its temporary files`, async () => {
      seedDatabase(backup.ws.db, 60_000, 400);
      const child = spawn(process.execPath, [CLI, "once"], {
        env: { PATH: process.env.PATH ?? "", ...backup.ws.env },
        stdio: "ignore",
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      while (temporary().length === 0) {
        if (child.exitCode !== null)
          throw new Error("the backup ended before it could be interrupted");
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      child.kill(signal);
      expect(await exited).toBe(code);
      expect(published()).toEqual([]);
      expect(temporary()).toEqual([]);
      expect(existsSync(join(backup.ws.dir, ".guardrail-backup.lock"))).toBe(false);
    });
  }

  it("ends quietly with exit 0 when the reader of stdout goes away (print-config | head)", async () => {
    seedDatabase(backup.ws.db, 1);
    for (const command of ["print-config", "list"]) {
      const child = spawn(process.execPath, [CLI, command], {
        env: { PATH: process.env.PATH ?? "", ...backup.ws.env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      // Close the reading end before the program writes anything.
      child.stdout.destroy();
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise((resolve) => child.once("close", resolve));
      expect(stderr, command).toBe("");
      expect(code, command).toBe(0);
    }
  });

  it("lists backups with human sizes in aligned columns", () => {
    seedDatabase(backup.ws.db, 20);
    for (let i = 0; i < 2; i++)
      expect(runCli(["once", "--no-prune"], backup.ws.env).status).toBe(0);
    const list = runCli(["list"], backup.ws.env);
    expect(list.status, list.stderr).toBe(0);
    const lines = list.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/ \d+(\.\d)? (B|KiB|MiB) {2}verified$/);
    expect(list.stdout).not.toContain("0.0 MB");
    const sizeEnds = lines.map((line) => line.indexOf("  verified"));
    expect(sizeEnds[0]).toBe(sizeEnds[1]);
  });

  it("shows a progress line on a terminal, and none when the output is not one", () => {
    // script(1) comes with Debian's bsdutils, which .ci/run installs when missing.
    if (!existsSync("/usr/bin/script")) throw new Error("install bsdutils for script(1)");
    seedDatabase(backup.ws.db, 2000);
    // script(1) runs the command on a pseudo-terminal.
    const onTerminal = spawnSync(
      "script",
      ["-qec", `"${process.execPath}" "${CLI}" once`, "/dev/null"],
      {
        env: { PATH: process.env.PATH ?? "", ...backup.ws.env },
        encoding: "utf8",
      },
    );
    expect(onTerminal.status).toBe(0);
    expect(onTerminal.stdout).toContain("\r\u001b[Kbackup: snapshot");
    expect(onTerminal.stdout).toContain("\r\u001b[Kbackup: compress");

    const piped = runCli(["once"], backup.ws.env);
    expect(piped.status).toBe(0);
    expect(piped.stderr).not.toContain("backup: ");
  });
});
