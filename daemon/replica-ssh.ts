// A replica on another server, through the system's `ssh` and `rsync`. The far side needs a POSIX
// shell, `rsync`, `sha256sum`, `mv` and `rm`. Host keys: with BACKUP_SSH_KNOWN_HOSTS, only the
// keys in that file are trusted (StrictHostKeyChecking=yes); without it, the user's
// ~/.ssh/known_hosts is used and a new host's key is accepted on first contact and then pinned
// (StrictHostKeyChecking=accept-new), so a changed key is always refused.
import { execFile } from "node:child_process";
import { GuardrailError } from "../shared/errors.js";
import type { ReplicaTarget } from "./replica-target.js";
import { shellQuote } from "./shell-quote.js";

export interface SshSettings {
  /** Private key file (BACKUP_SSH_KEY). */
  keyFile: string;
  /** known_hosts file (BACKUP_SSH_KNOWN_HOSTS); undefined for accept-new in ~/.ssh. */
  knownHostsFile: string | undefined;
  /** Deadline of one ssh or rsync call, transfer included. */
  timeoutMs: number;
}

/** A target folder on a server reached as `user@host:port`; the folder must exist. */
export class SshTarget implements ReplicaTarget {
  constructor(
    readonly label: string,
    private readonly where: { user: string; host: string; port: number; path: string },
    private readonly settings: SshSettings,
  ) {}

  async list(): Promise<string[]> {
    const output = await this.remote(`cd -- ${shellQuote(this.where.path)} && ls -1A`);
    return output.split("\n").filter((line) => line !== "");
  }

  async upload(localPath: string, name: string): Promise<void> {
    const ssh = ["ssh", ...this.sshOptions()].map(shellQuote).join(" ");
    const dest = `${this.where.user}@${this.bracketHost()}:${this.where.path}/${name}`;
    // --protect-args: the remote path is not split or expanded by the far side's shell.
    await this.exec("rsync", [
      "--protect-args",
      "--times",
      "--chmod=F600",
      "-e",
      ssh,
      "--",
      localPath,
      dest,
    ]);
  }

  async sha256(names: readonly string[]): Promise<Record<string, string>> {
    const output = await this.remote(
      `cd -- ${shellQuote(this.where.path)} && sha256sum -- ${names.map(shellQuote).join(" ")}`,
    );
    const sums: Record<string, string> = {};
    for (const line of output.split("\n")) {
      const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
      if (match?.[1] && match[2]) sums[match[2]] = match[1];
    }
    return sums;
  }

  async rename(pairs: readonly (readonly [string, string])[]): Promise<void> {
    const moves = pairs.map(([from, to]) => `mv -f -- ${shellQuote(from)} ${shellQuote(to)}`);
    // Flush the renamed files and the folder; a `sync` without file arguments (busybox) syncs all.
    const synced = pairs.map(([, to]) => shellQuote(to)).join(" ");
    await this.remote(
      `cd -- ${shellQuote(this.where.path)} && ${moves.join(" && ")} && { sync -- ${synced} . 2>/dev/null || sync; }`,
    );
  }

  async remove(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    await this.remote(
      `cd -- ${shellQuote(this.where.path)} && rm -f -- ${names.map(shellQuote).join(" ")}`,
    );
  }

  /** Options for every ssh call: key only, never a prompt, bounded waits, pinned host keys. */
  private sshOptions(): string[] {
    const { keyFile, knownHostsFile } = this.settings;
    return [
      ...["-p", String(this.where.port), "-i", keyFile],
      ...["-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"],
      ...["-o", "ConnectTimeout=15", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=3"],
      ...(knownHostsFile
        ? ["-o", `UserKnownHostsFile=${knownHostsFile}`, "-o", "StrictHostKeyChecking=yes"]
        : ["-o", "StrictHostKeyChecking=accept-new"]),
      ...["-o", "LogLevel=ERROR"],
    ];
  }

  private bracketHost(): string {
    return this.where.host.includes(":") ? `[${this.where.host}]` : this.where.host;
  }

  // TODO(ssh-multiplex): every operation opens its own connection (about four per backup
  // copied). ControlMaster would reuse one, but a persisting master can hold our pipes open;
  // worth doing when targets hold many backups or sit behind slow handshakes.
  /** Runs one shell command line on the far side; resolves to its stdout. */
  private remote(command: string): Promise<string> {
    const login = `${this.where.user}@${this.where.host}`;
    return this.exec("ssh", [...this.sshOptions(), "--", login, command]);
  }

  private exec(file: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        file,
        args,
        { timeout: this.settings.timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 << 20 },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          // ssh ends some lines with \r; the last two lines carry the reason.
          const lines = stderr.split(/\r?\n|\r/).filter((line) => line.trim() !== "");
          const detail = lines.slice(-2).join(" / ");
          const why = error.killed ? `no answer within ${this.settings.timeoutMs} ms` : detail;
          const status = new Error(`${file} exited with ${error.code ?? error.signal}`);
          reject(
            new GuardrailError(`${file} to ${this.label} failed: ${why || status.message}`, {
              cause: status,
              hint: "check that the host is up, the key is authorized and the folder exists",
            }),
          );
        },
      );
    });
  }
}
