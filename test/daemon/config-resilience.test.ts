import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig, maskValue } from "../../daemon/config.js";
import { resilienceEffective } from "../../daemon/config-resilience.js";
import {
  configProblems,
  makeWorkspace,
  seedDatabase,
  type Workspace,
} from "../support/backup-env.js";

let ws: Workspace;
beforeEach(async () => {
  ws = await makeWorkspace();
  seedDatabase(ws.db, 1);
});
afterEach(async () => ws.tmp.cleanup());

const problemsOf = (env: Record<string, string>) => configProblems({ BACKUP_DB: ws.db, ...env });

describe("replica, drill and alert configuration", () => {
  it("has no targets, a monthly drill and healthchecks-style heartbeats by default", () => {
    expect(loadConfig({ BACKUP_DB: ws.db }).resilience).toEqual({
      replica: { targets: [], sshKey: undefined, knownHosts: undefined, timeoutMs: 600_000 },
      drill: { schedule: "0 4 1 * *", command: undefined, timeoutMs: 600_000 },
      alerts: {
        heartbeatUrl: undefined,
        heartbeatStyle: "healthchecks",
        notifyUrl: undefined,
        timeoutMs: 10_000,
        attempts: 3,
        backoffMs: 2000,
      },
    });
  });

  it("reads targets, the SSH key and known hosts, and turns drills off", () => {
    const key = join(ws.tmp.path, "id_ed25519");
    const hosts = join(ws.tmp.path, "known_hosts");
    writeFileSync(key, "key");
    writeFileSync(hosts, "hosts");
    const config = loadConfig({
      BACKUP_DB: ws.db,
      BACKUP_REPLICA: "/mnt/nas,ssh://backup@db2:2200/srv/b",
      BACKUP_SSH_KEY: key,
      BACKUP_SSH_KNOWN_HOSTS: hosts,
      BACKUP_DRILL_SCHEDULE: "off",
      BACKUP_HEARTBEAT_STYLE: "uptime-kuma",
    });
    expect(config.resilience.replica.targets.map((target) => target.label)).toEqual([
      "/mnt/nas",
      "ssh://backup@db2:2200/srv/b",
    ]);
    expect(config.resilience.drill.schedule).toBeUndefined();
    expect(config.resilience.alerts.heartbeatStyle).toBe("uptime-kuma");
  });

  it("lists every bad variable together with the backup ones, each by name", () => {
    expect(
      problemsOf({
        BACKUP_KEEP_DAILY: "many",
        BACKUP_REPLICA: "relative/dir",
        BACKUP_DRILL_SCHEDULE: "monthly",
        BACKUP_HEARTBEAT_URL: "hc-ping.com/abc",
        BACKUP_HEARTBEAT_STYLE: "pagerduty",
        BACKUP_ALERT_TIMEOUT: "soon",
        BACKUP_ALERT_ATTEMPTS: "0",
      }),
    ).toEqual([
      "BACKUP_KEEP_DAILY must be a whole number of backups (0 or more)",
      'BACKUP_REPLICA: "relative/dir" is neither an absolute folder nor ssh://user@host[:port]/path',
      "BACKUP_DRILL_SCHEDULE must be a cron expression like '0 4 1 * *', or off",
      "BACKUP_HEARTBEAT_URL must be an http:// or https:// URL",
      "BACKUP_HEARTBEAT_STYLE must be healthchecks or uptime-kuma",
      "BACKUP_ALERT_TIMEOUT must be a duration with a unit (s, m, h, d), like 90s, 30m, 26h, 2d",
      "BACKUP_ALERT_ATTEMPTS must be a whole number from 1 to 9",
    ]);
  });

  it("requires an existing key file for SSH targets", () => {
    expect(problemsOf({ BACKUP_REPLICA: "ssh://b@h/p" })).toEqual([
      "BACKUP_SSH_KEY is required for ssh:// targets in BACKUP_REPLICA (a private key file)",
    ]);
    const missing = join(ws.tmp.path, "nope");
    expect(problemsOf({ BACKUP_REPLICA: "ssh://b@h/p", BACKUP_SSH_KEY: missing })).toEqual([
      `BACKUP_SSH_KEY: ${missing} is not an existing file (give an absolute path)`,
    ]);
  });

  it("shows effective values for print-config without the secrets in ping and webhook URLs", () => {
    const config = loadConfig({
      BACKUP_DB: ws.db,
      BACKUP_HEARTBEAT_URL: "https://hc-ping.com/5f1c0e2a-uuid",
      BACKUP_NOTIFY_URL: "https://hooks.example.org/services/T0/B0/secret?token=abc",
    });
    const shown = Object.entries(resilienceEffective(config.resilience))
      .map(([name, value]) => `${name}=${maskValue(name, String(value))}`)
      .join("\n");
    expect(shown).toContain("BACKUP_DRILL_SCHEDULE=0 4 1 * *");
    expect(shown).toContain("BACKUP_HEARTBEAT_URL=https://hc-ping.com/***");
    expect(shown).toContain("BACKUP_NOTIFY_URL=https://hooks.example.org/***?***");
    expect(shown).not.toMatch(/5f1c|secret|abc/);
  });
});
