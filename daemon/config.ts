// The sidecar's configuration: read from the environment once, validated at once (every problem
// listed together, each naming its variable), with every default in this file.
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "../shared/errors.js";
import { backupDirProblems, databaseProblems } from "./config-files.js";
import { closestName } from "./closest-name.js";
import {
  ResilienceEnvShape,
  resilienceConfig,
  resilienceProblems,
  type ResilienceConfig,
} from "./config-resilience.js";
import { durationProblem, parseDuration } from "./duration.js";
import { scheduleProblem, schedulePeriodMs } from "./schedule.js";

/** Defaults in one place; the docs' configuration table is written from this list. */
export const DEFAULTS = {
  BACKUP_DIR: "backups/ beside BACKUP_DB",
  BACKUP_SCHEDULE: "0 3 * * *",
  TZ: "UTC",
  BACKUP_KEEP_DAILY: "7",
  BACKUP_KEEP_WEEKLY: "4",
  BACKUP_KEEP_MONTHLY: "0",
  BACKUP_GZIP_LEVEL: "3",
  BACKUP_CHECK: "quick",
  BACKUP_MAX_AGE: "one schedule period + 1h",
  BACKUP_PORT: "9090",
  BACKUP_TIMEOUT: "30m",
  BACKUP_GRACE: "60s",
} as const;

const count = (name: string) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number of backups (0 or more)`)
    .transform(Number);

const duration = (name: string) =>
  z.string().transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({ code: "custom", message: `${name} ${durationProblem(value)}` });
      return z.NEVER;
    }
    return ms;
  });

/** A 5-field cron expression (see scheduleProblem). */
const schedule = (name: string, example: string) =>
  z.string().superRefine((value, ctx) => {
    const problem = scheduleProblem(name, value, example);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/**
 * One entry per variable, keyed by its name. To add variables (replication, alerts), add keys
 * here and fields to BackupConfig below; secrets are masked by name (see maskedConfig).
 */
export const EnvSchema = z.object({
  BACKUP_DB: z
    .string({ error: "BACKUP_DB is required: the path of the SQLite database to back up" })
    .min(1, "BACKUP_DB is required: the path of the SQLite database to back up"),
  BACKUP_DIR: z.string().min(1).optional(),
  BACKUP_SCHEDULE: schedule("BACKUP_SCHEDULE", DEFAULTS.BACKUP_SCHEDULE).default(
    DEFAULTS.BACKUP_SCHEDULE,
  ),
  TZ: z
    .string()
    .default(DEFAULTS.TZ)
    .refine(isTimeZone, { message: "TZ must be an IANA time zone like UTC or Europe/Madrid" }),
  BACKUP_KEEP_DAILY: count("BACKUP_KEEP_DAILY").default(Number(DEFAULTS.BACKUP_KEEP_DAILY)),
  BACKUP_KEEP_WEEKLY: count("BACKUP_KEEP_WEEKLY").default(Number(DEFAULTS.BACKUP_KEEP_WEEKLY)),
  BACKUP_KEEP_MONTHLY: count("BACKUP_KEEP_MONTHLY").default(Number(DEFAULTS.BACKUP_KEEP_MONTHLY)),
  BACKUP_GZIP_LEVEL: z
    .string()
    .regex(/^[1-9]$/, "BACKUP_GZIP_LEVEL must be a whole number from 1 (fast) to 9 (small)")
    .default(DEFAULTS.BACKUP_GZIP_LEVEL)
    .transform(Number),
  BACKUP_CHECK: z
    .enum(["quick", "full"], {
      error: "BACKUP_CHECK must be quick or full",
    })
    .default(DEFAULTS.BACKUP_CHECK),
  BACKUP_MAX_AGE: duration("BACKUP_MAX_AGE").optional(),
  BACKUP_PORT: z
    .string()
    .regex(/^\d+$/, "BACKUP_PORT must be a TCP port from 0 to 65535")
    .default(DEFAULTS.BACKUP_PORT)
    .transform(Number)
    .refine((port) => port <= 65535, { message: "BACKUP_PORT must be a TCP port from 0 to 65535" }),
  BACKUP_TIMEOUT: duration("BACKUP_TIMEOUT").default(parseDuration(DEFAULTS.BACKUP_TIMEOUT)!),
  BACKUP_GRACE: duration("BACKUP_GRACE").default(parseDuration(DEFAULTS.BACKUP_GRACE)!),
  // Second locations, restore drills and alerts (config-resilience.ts).
  ...ResilienceEnvShape,
});

export interface BackupConfig {
  /** Absolute path of the live database. */
  db: string;
  /** Absolute path of the folder holding backups, their manifests, the log and the lock. */
  dir: string;
  schedule: string;
  timeZone: string;
  keep: { daily: number; weekly: number; monthly: number };
  gzipLevel: number;
  check: "quick" | "full";
  maxAgeMs: number;
  port: number;
  timeoutMs: number;
  /** How long SIGTERM waits for a running backup before aborting it. */
  graceMs: number;
  /** Replicas, drills and alerts (config-resilience.ts). */
  resilience: ResilienceConfig;
  /** The raw variables as read, for print-config. */
  env: Record<string, string | undefined>;
}

/**
 * Reads and checks the configuration. With `checkFiles` (the default) it also checks that the
 * database exists and the backup folder is writable. Throws one ConfigError listing everything.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  options: { checkFiles?: boolean } = {},
): BackupConfig {
  const raw = pickEnv(env);
  const parsed = EnvSchema.safeParse(raw);
  const unknown = unknownNames(raw);
  if (!parsed.success || unknown.length > 0) {
    const issues = parsed.success ? [] : parsed.error.issues.map(describeIssue);
    throw new ConfigError([...unknown, ...issues], HINT);
  }
  const v = parsed.data;
  const db = resolve(v.BACKUP_DB);
  const dir = resolve(v.BACKUP_DIR ?? join(dirname(db), "backups"));
  const config: BackupConfig = {
    db,
    dir,
    schedule: v.BACKUP_SCHEDULE,
    timeZone: v.TZ,
    keep: {
      daily: v.BACKUP_KEEP_DAILY,
      weekly: v.BACKUP_KEEP_WEEKLY,
      monthly: v.BACKUP_KEEP_MONTHLY,
    },
    gzipLevel: v.BACKUP_GZIP_LEVEL,
    check: v.BACKUP_CHECK,
    maxAgeMs: v.BACKUP_MAX_AGE ?? schedulePeriodMs(v.BACKUP_SCHEDULE, v.TZ) + 3_600_000,
    port: v.BACKUP_PORT,
    timeoutMs: v.BACKUP_TIMEOUT,
    graceMs: v.BACKUP_GRACE,
    resilience: resilienceConfig(v),
    env: raw,
  };
  const checkDisk = options.checkFiles !== false;
  const problems = [
    ...resilienceProblems(config.resilience, checkDisk),
    ...(checkDisk ? databaseProblems(config.db) : []),
  ];
  // The backup folder is created last, and only when everything else is right: a bad
  // configuration must leave the disk as it was.
  if (checkDisk) problems.push(...backupDirProblems(config.dir, { create: problems.length === 0 }));
  if (problems.length > 0) throw new ConfigError(problems, HINT);
  return config;
}

const HINT = "fix the variables above and start again; `guardrail-backup print-config` shows them";

/** The variables this program reads: BACKUP_* and TZ. */
function pickEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const picked: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    if ((name.startsWith("BACKUP_") || name === "TZ") && value !== "") picked[name] = value;
  }
  return picked;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const name = String(issue.path[0] ?? "environment");
  const message = issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
  return message;
}

/**
 * A problem for each BACKUP_* variable this program does not read, naming the closest known
 * one: a misspelt BACKUP_KEEP_DAYLY must not quietly leave the default in force.
 */
function unknownNames(raw: Record<string, string | undefined>): string[] {
  const known = Object.keys(EnvSchema.shape);
  return Object.keys(raw)
    .filter((name) => name !== "TZ" && !known.includes(name))
    .map((name) => {
      const closest = closestName(name, known);
      const guess = closest ? `; did you mean ${closest}?` : "";
      return `${name} is not a variable guardrail-backup reads${guess}`;
    });
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** True for variables whose value may hold a secret: names ending in URL, KEY, TOKEN, PASSWORD. */
export function isSecretName(name: string): boolean {
  return /(URL|KEY|TOKEN|PASSWORD|SECRET)$/.test(name);
}

/** A value fit to print: URLs lose credentials and query, other secrets are hidden. */
export function maskValue(name: string, value: string): string {
  if (!isSecretName(name)) return value;
  if (name.endsWith("URL")) {
    try {
      const url = new URL(value);
      if (url.username || url.password) url.username = url.password = "***";
      if (url.search) url.search = "?***";
      return url.toString();
    } catch {
      return "***";
    }
  }
  if (name.endsWith("KEY") && value.startsWith("/")) return value;
  return "***";
}
