// The push gate's settings: `guardrail.*` keys of the repository's git config, read in one git
// call and validated at once, every problem named by its key.
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { ConfigError } from "../shared/errors.js";
import { git } from "./git.js";
import { limitCpuTimeSchema, limitFileSizeSchema, limitProcessesSchema } from "./limits.js";

export type Mode = "enforce" | "warn" | "off";

const FORBIDDEN_ENV = /^(GIT_|GITEA_|FORGEJO__|SSH_)/;

const gitBool = z.preprocess(
  (value) => (typeof value === "string" ? value.toLowerCase() : value),
  z
    .enum(["true", "yes", "on", "1", "", "false", "no", "off", "0"], {
      error: "must be true or false (yes/no, on/off and 1/0 work too)",
    })
    .transform((value) => ["true", "yes", "on", "1", ""].includes(value)),
);

/**
 * A count written as plain decimal digits (surrounding whitespace is trimmed), as a number.
 * Not `Number(value)`: it reads `0x10` as 16, `1e3` as 1000 and an empty value as 0, so an
 * admin's typo would silently become some other setting.
 */
function wholeNumber(error: string) {
  return z
    .string({ error })
    .trim()
    .regex(/^\d+$/, { error })
    .transform((digits) => Number(digits));
}

const LINES = "must be a whole number of lines from 10 to 10000";
// At most a day: a push nobody can wait for is a mistake, and longer timers overflow (Node and
// bun fire a timer of more than 2^31 ms at once, which timed every test run out immediately).
const seconds = wholeNumber("must be a whole number of seconds").pipe(
  z
    .number()
    .min(1, { error: "must be at least 1 second" })
    .max(86_400, { error: "must be at most 86400 seconds (one day)" }),
);
const command = z.string().trim().min(1, { error: "must not be empty" });
const names = z
  .array(z.string().trim().min(1))
  .transform((values) => values.flatMap((value) => value.split(/[\s,]+/).filter(Boolean)));

/** Every `guardrail.*` key, its default and its validation. Keys are case-insensitive in git. */
const HookConfigSchema = z.object({
  branch: z.array(z.string().trim().min(1)).transform((v) => (v.length > 0 ? v : ["main"])),
  allowDelete: gitBool.default(false),
  installCommand: command.default("bun install --frozen-lockfile"),
  testCommand: command.default("bun test"),
  workdir: z
    .string()
    .trim()
    .default(".")
    .refine((dir) => !dir.startsWith("/") && !dir.split("/").includes(".."), {
      error: "must be a path inside the repository, without '..'",
    })
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    .refine((dir) => !/[\u0000-\u001f\u007f]/.test(dir), {
      error: "must not contain control characters such as a newline",
    }),
  passEnv: names.refine((list) => !list.some((name) => FORBIDDEN_ENV.test(name)), {
    error: "may not name GIT_*, GITEA_*, FORGEJO__* or SSH_* variables",
  }),
  pushers: names,
  allowSkip: names,
  timeout: seconds.default(600),
  mode: z
    .enum(["enforce", "warn", "off"], { error: "must be enforce, warn or off" })
    .default("enforce"),
  cacheDir: z
    .string()
    .trim()
    .refine((dir) => dir.startsWith("/"), { error: "must be an absolute path" })
    .optional(),
  // Reuse installed dependencies kept read-only under cacheDir (hooks/dep-cache.ts).
  reuseDependencies: gitBool.default(true),
  progressInterval: seconds.default(10),
  tailLines: wholeNumber(LINES)
    .pipe(z.number().min(10, { error: LINES }).max(10_000, { error: LINES }))
    .default(150),
  // Resource limits of the install and test commands; see hooks/limits.ts for the defaults.
  limitProcesses: limitProcessesSchema,
  limitFileSize: limitFileSizeSchema,
  limitCpuTime: limitCpuTimeSchema,
});

export type HookConfig = Omit<z.infer<typeof HookConfigSchema>, "cacheDir"> & { cacheDir: string };

const MULTI = new Set(["branch", "passEnv", "pushers", "allowSkip"]);
const KEYS = new Map(Object.keys(HookConfigSchema.shape).map((key) => [key.toLowerCase(), key]));

/**
 * Validates the `guardrail.*` entries of `git config --null --list` output. Throws one
 * ConfigError listing every bad or unknown key; an unknown key is an error because a misspelt
 * `guardrail.brnach` would otherwise leave a branch silently unprotected.
 */
export function parseHookConfig(listing: string): HookConfig {
  const raw: Record<string, string | string[]> = {};
  for (const key of MULTI) raw[key] = [];
  const problems: string[] = [];

  for (const entry of listing.split("\0")) {
    const newline = entry.indexOf("\n");
    const name = (newline < 0 ? entry : entry.slice(0, newline)).toLowerCase();
    const value = newline < 0 ? "" : entry.slice(newline + 1);
    if (!name.startsWith("guardrail.")) continue;

    const key = KEYS.get(name.slice("guardrail.".length));
    if (!key) {
      problems.push(`${name}: unknown key (known: ${[...KEYS.values()].join(", ")})`);
    } else if (MULTI.has(key)) {
      (raw[key] as string[]).push(value);
    } else {
      raw[key] = value; // the last value wins, as with `git config --get`
    }
  }

  const parsed = HookConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "");
      const shown = Array.isArray(raw[key]) ? (raw[key] as string[]).join(", ") : raw[key];
      problems.push(`guardrail.${key} = ${JSON.stringify(shown)}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(
      problems,
      "the server's admin must correct it with `git config` in the bare repository (see docs/configuration.md); until then every push is refused",
    );
  }

  return { ...parsed.data, cacheDir: parsed.data.cacheDir ?? defaultCacheDir() };
}

/** Where bun's package cache lives between pushes: the git user's cache folder. */
function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || (process.env.HOME ? join(homedir(), ".cache") : "");
  return base ? join(base, "guardrail") : join(tmpdir(), `guardrail-cache-${process.getuid?.()}`);
}

/** Reads and validates the repository's `guardrail.*` keys with one git call. */
export async function readHookConfig(repoDir: string): Promise<HookConfig> {
  const listing = await git(repoDir, ["config", "--null", "--list"]);
  return parseHookConfig(listing);
}
