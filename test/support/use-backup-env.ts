// The life of a backup sidecar end-to-end test: a fresh workspace (its database seeded when
// asked), an HTTP recorder for alerts when asked, and every daemon started through it killed
// and waited for after the test, before the workspace goes.
import { afterEach, beforeEach } from "vitest";
import {
  makeWorkspace,
  seedDatabase,
  startDaemonProcess,
  type DaemonProcess,
  type Workspace,
} from "./backup-env.js";
import { startHttpRecorder, type HttpRecorder } from "./http-recorder.js";

/** What the current test has; each getter throws outside a test (or when it was not asked for). */
export interface BackupTestEnv {
  readonly ws: Workspace;
  /** Only with `http: true`. */
  readonly http: HttpRecorder;
  /** The daemon the current test started last through `startDaemon`. */
  readonly daemon: DaemonProcess;
  /** startDaemonProcess, and SIGKILL after the test if the daemon still runs then. */
  startDaemon(env: Record<string, string>): Promise<DaemonProcess>;
}

export interface BackupEnvOptions {
  /** Events written to `ws.db` before each test (seedDatabase); none: no database. */
  seedRows?: number;
  payloadBytes?: number;
  http?: boolean;
}

/** Registers the hooks; the object returned reads the current test's workspace and servers. */
export function useBackupEnv(options: BackupEnvOptions = {}): BackupTestEnv {
  let ws: Workspace | undefined;
  let http: HttpRecorder | undefined;
  let daemons: DaemonProcess[] = [];

  beforeEach(async () => {
    ws = await makeWorkspace();
    if (options.seedRows !== undefined) seedDatabase(ws.db, options.seedRows, options.payloadBytes);
    if (options.http) http = await startHttpRecorder();
  });
  afterEach(async () => {
    for (const daemon of daemons) {
      if (daemon.child.exitCode === null && daemon.child.signalCode === null) {
        daemon.child.kill("SIGKILL");
      }
      await daemon.exited;
    }
    daemons = [];
    await http?.close();
    http = undefined;
    await ws?.tmp.cleanup();
    ws = undefined;
  });

  const present = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`no ${what} in this test (see useBackupEnv)`);
    return value;
  };
  return {
    get ws() {
      return present(ws, "workspace");
    },
    get http() {
      return present(http, "HTTP recorder");
    },
    get daemon() {
      return present(daemons.at(-1), "daemon");
    },
    async startDaemon(env) {
      const daemon = await startDaemonProcess(env);
      daemons.push(daemon);
      return daemon;
    },
  };
}
