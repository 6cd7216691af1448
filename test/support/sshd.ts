// A real OpenSSH server for tests: 127.0.0.1 on a spare port, its own host key, its own config
// and an authorized key made here, logging in as the current user. No sshd means a failing test
// that says what to install, never a skipped one.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";
import { dir, type DirectoryResult } from "tmp-promise";
import { freePort } from "./free-port.js";

export interface TestSshd {
  port: number;
  user: string;
  /** The client's private key, authorized on this server. */
  keyFile: string;
  /** A known_hosts file that trusts exactly this server's host key. */
  knownHostsFile: string;
  /** A folder for the test's own files (remote folders can live here too). */
  dir: string;
  stop(): Promise<void>;
}

const SSHD_PATHS = ["/usr/sbin/sshd", "/usr/local/sbin/sshd"];

export async function startSshd(): Promise<TestSshd> {
  const sshd = SSHD_PATHS.find((path) => existsSync(path));
  if (!sshd) {
    throw new Error(
      "sshd not found: these tests need a real OpenSSH server; install openssh-server " +
        "(apt-get install openssh-server rsync, as .ci/run does)",
    );
  }
  const tmp: DirectoryResult = await dir({ unsafeCleanup: true, mode: 0o700 });
  const keygen = (file: string) =>
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(tmp.path, file)]);
  keygen("host_ed25519");
  keygen("client_ed25519");
  writeFileSync(
    join(tmp.path, "authorized_keys"),
    readFileSync(join(tmp.path, "client_ed25519.pub")),
  );
  // sshd insists on its privilege separation folder even when it never changes user.
  if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });

  const port = await freePort();
  const config = join(tmp.path, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${join(tmp.path, "host_ed25519")}`,
      `PidFile ${join(tmp.path, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(tmp.path, "authorized_keys")}`,
      "UsePAM no",
      "StrictModes no",
      "PermitRootLogin prohibit-password",
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "Subsystem sftp internal-sftp",
      "",
    ].join("\n"),
  );
  const hostKey = readFileSync(join(tmp.path, "host_ed25519.pub"), "utf8").trim().split(" ");
  const knownHostsFile = join(tmp.path, "known_hosts");
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostKey[0]} ${hostKey[1]}\n`);

  const child = spawn(sshd, ["-D", "-e", "-f", config], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (log += chunk));
  await waitForPort(port, child, () => log);

  return {
    port,
    user: userInfo().username,
    keyFile: join(tmp.path, "client_ed25519"),
    knownHostsFile,
    dir: tmp.path,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      await tmp.cleanup();
    },
  };
}

/** Resolves once sshd accepts connections; rejects with its log if it exits first. */
async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
