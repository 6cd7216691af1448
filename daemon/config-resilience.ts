// Configuration of second locations, restore drills and alerts: the variables, their defaults and
// their checks, merged into config.ts's schema so every problem is still reported in one list.
import { existsSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import cron from "node-cron";
import { z } from "zod";
import type { AlertConfig } from "./alerts.js";
import { durationProblem, formatDurationSetting, parseDuration } from "./duration.js";
import { parseReplicaSpecs, type TargetSpec } from "./replica-target.js";

export const RESILIENCE_DEFAULTS = {
  BACKUP_REPLICA: "(none)",
  BACKUP_REPLICA_TIMEOUT: "10m",
  BACKUP_DRILL_SCHEDULE: "0 4 1 * *",
  BACKUP_DRILL_TIMEOUT: "10m",
  BACKUP_HEARTBEAT_STYLE: "healthchecks",
  BACKUP_ALERT_TIMEOUT: "10s",
  BACKUP_ALERT_ATTEMPTS: "3",
} as const;

const duration = (name: string, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: "custom", message: `${name} ${durationProblem(value)}` });
        return z.NEVER;
      }
      return ms;
    });

const httpUrl = (name: string) =>
  z
    .string()
    .refine((value) => /^https?:\/\//.test(value) && URL.canParse(value), {
      message: `${name} must be an http:// or https:// URL`,
    })
    .optional();

/** Keys merged into config.ts's EnvSchema. */
export const ResilienceEnvShape = {
  BACKUP_REPLICA: z
    .string()
    .optional()
    .transform((value, ctx) => {
      const { specs, problems } = parseReplicaSpecs(value);
      for (const message of problems) ctx.addIssue({ code: "custom", message });
      return specs;
    }),
  BACKUP_SSH_KEY: z.string().optional(),
  BACKUP_SSH_KNOWN_HOSTS: z.string().optional(),
  BACKUP_REPLICA_TIMEOUT: duration(
    "BACKUP_REPLICA_TIMEOUT",
    RESILIENCE_DEFAULTS.BACKUP_REPLICA_TIMEOUT,
  ),
  BACKUP_DRILL_SCHEDULE: z
    .string()
    .default(RESILIENCE_DEFAULTS.BACKUP_DRILL_SCHEDULE)
    // Drills run on node-cron itself, which honours a sixth (seconds) field; backups do not.
    .refine((value) => value === "off" || cron.validate(value), {
      message: "BACKUP_DRILL_SCHEDULE must be a cron expression like '0 4 1 * *', or off",
    }),
  BACKUP_DRILL_COMMAND: z.string().optional(),
  BACKUP_DRILL_TIMEOUT: duration("BACKUP_DRILL_TIMEOUT", RESILIENCE_DEFAULTS.BACKUP_DRILL_TIMEOUT),
  BACKUP_HEARTBEAT_URL: httpUrl("BACKUP_HEARTBEAT_URL"),
  BACKUP_HEARTBEAT_STYLE: z
    .enum(["healthchecks", "uptime-kuma"], {
      error: "BACKUP_HEARTBEAT_STYLE must be healthchecks or uptime-kuma",
    })
    .default(RESILIENCE_DEFAULTS.BACKUP_HEARTBEAT_STYLE),
  BACKUP_NOTIFY_URL: httpUrl("BACKUP_NOTIFY_URL"),
  BACKUP_ALERT_TIMEOUT: duration("BACKUP_ALERT_TIMEOUT", RESILIENCE_DEFAULTS.BACKUP_ALERT_TIMEOUT),
  BACKUP_ALERT_ATTEMPTS: z
    .string()
    .default(RESILIENCE_DEFAULTS.BACKUP_ALERT_ATTEMPTS)
    .refine((value) => /^[1-9]$/.test(value), {
      message: "BACKUP_ALERT_ATTEMPTS must be a whole number from 1 to 9",
    })
    .transform(Number),
};

type ResilienceEnv = z.output<z.ZodObject<typeof ResilienceEnvShape>>;

export interface ResilienceConfig {
  replica: {
    targets: TargetSpec[];
    sshKey: string | undefined;
    knownHosts: string | undefined;
    timeoutMs: number;
  };
  /** `schedule` is undefined when drills are off. */
  drill: { schedule: string | undefined; command: string | undefined; timeoutMs: number };
  alerts: AlertConfig;
}

/** The typed settings from the parsed variables. */
export function resilienceConfig(v: ResilienceEnv): ResilienceConfig {
  return {
    replica: {
      targets: v.BACKUP_REPLICA,
      sshKey: v.BACKUP_SSH_KEY,
      knownHosts: v.BACKUP_SSH_KNOWN_HOSTS,
      timeoutMs: v.BACKUP_REPLICA_TIMEOUT,
    },
    drill: {
      schedule: v.BACKUP_DRILL_SCHEDULE === "off" ? undefined : v.BACKUP_DRILL_SCHEDULE,
      command: v.BACKUP_DRILL_COMMAND,
      timeoutMs: v.BACKUP_DRILL_TIMEOUT,
    },
    alerts: {
      heartbeatUrl: v.BACKUP_HEARTBEAT_URL,
      heartbeatStyle: v.BACKUP_HEARTBEAT_STYLE,
      notifyUrl: v.BACKUP_NOTIFY_URL,
      timeoutMs: v.BACKUP_ALERT_TIMEOUT,
      attempts: v.BACKUP_ALERT_ATTEMPTS,
      backoffMs: 2000,
    },
  };
}

/** Problems between variables, and with the files they name (when `checkFiles`). */
export function resilienceProblems(config: ResilienceConfig, checkFiles: boolean): string[] {
  const problems: string[] = [];
  const { targets, sshKey, knownHosts } = config.replica;
  if (targets.some((target) => target.kind === "ssh") && !sshKey) {
    problems.push(
      "BACKUP_SSH_KEY is required for ssh:// targets in BACKUP_REPLICA (a private key file)",
    );
  }
  if (!checkFiles) return problems;
  for (const [name, path] of [
    ["BACKUP_SSH_KEY", sshKey],
    ["BACKUP_SSH_KNOWN_HOSTS", knownHosts],
  ]) {
    if (path === undefined) continue;
    if (!isAbsolute(path) || !existsSync(path) || !statSync(path).isFile()) {
      problems.push(`${name}: ${path} is not an existing file (give an absolute path)`);
    }
  }
  return problems;
}

/** The effective values for print-config (masked there by name, like the others). */
export function resilienceEffective(config: ResilienceConfig): Record<string, string | number> {
  const { replica, drill, alerts } = config;
  const effective: Record<string, string | number> = {
    BACKUP_REPLICA: replica.targets.map((target) => target.label).join(",") || "(none)",
    BACKUP_REPLICA_TIMEOUT: formatDurationSetting(replica.timeoutMs),
    BACKUP_DRILL_SCHEDULE: drill.schedule ?? "off",
    BACKUP_DRILL_TIMEOUT: formatDurationSetting(drill.timeoutMs),
    BACKUP_HEARTBEAT_STYLE: alerts.heartbeatStyle,
    BACKUP_ALERT_TIMEOUT: formatDurationSetting(alerts.timeoutMs),
    BACKUP_ALERT_ATTEMPTS: alerts.attempts,
  };
  if (replica.sshKey) effective.BACKUP_SSH_KEY = replica.sshKey;
  if (replica.knownHosts) effective.BACKUP_SSH_KNOWN_HOSTS = replica.knownHosts;
  if (drill.command) effective.BACKUP_DRILL_COMMAND = drill.command;
  if (alerts.heartbeatUrl) effective.BACKUP_HEARTBEAT_URL = hidePath(alerts.heartbeatUrl);
  if (alerts.notifyUrl) effective.BACKUP_NOTIFY_URL = hidePath(alerts.notifyUrl);
  return effective;
}

/** Ping and webhook URLs carry their secret in the path (a check's UUID, a push token). */
function hidePath(url: string): string {
  const parsed = new URL(url);
  if (parsed.pathname.length > 1) parsed.pathname = "/***";
  return parsed.toString();
}
