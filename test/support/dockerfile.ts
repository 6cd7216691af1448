// Reading the project's Dockerfile the way the tests need it: stages, and the exact commands
// (CMD, HEALTHCHECK), environment and copies of each. Docker cannot run on our machines, so the
// tests run these commands outside it; parsing them (not restating them) keeps the two in step.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
  /** The last CMD, exec form. */
  cmd: string[] | undefined;
  healthcheck: { options: Record<string, string>; cmd: string[] } | undefined;
  /** ENV of the stage (not of its base image). */
  env: Record<string, string>;
  copies: { from: string | undefined; sources: string[]; dest: string }[];
  user: string | undefined;
  workdir: string | undefined;
}

/** The stages of a Dockerfile, in order. Only the syntax our Dockerfile uses is understood. */
export function parseDockerfile(text: string): Stage[] {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const joined = text
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("#"))
    .join("\n")
    .replace(/\\\n/g, " ");

  for (const line of joined.split("\n")) {
    const match = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const keyword = match[1]!;
    const rest = match[2]!.trim();
    const stage = stages.at(-1);

    if (keyword === "ARG" && !stage) {
      const [name, value = ""] = rest.split("=");
      args[name!] = value;
    } else if (keyword === "FROM") {
      const [image, , name] = rest.split(/\s+/);
      const resolved = image!.replace(/\$\{(\w+)\}/g, (_, key: string) => args[key] ?? "");
      stages.push({
        name: name ?? String(stages.length),
        image: resolved,
        instructions: [],
        cmd: undefined,
        healthcheck: undefined,
        env: {},
        copies: [],
        user: undefined,
        workdir: undefined,
      });
    } else if (stage) {
      stage.instructions.push({ keyword, args: rest });
      applyInstruction(stage, keyword, rest);
    }
  }
  return stages;
}

function applyInstruction(stage: Stage, keyword: string, rest: string): void {
  if (keyword === "CMD") stage.cmd = JSON.parse(rest) as string[];
  if (keyword === "USER") stage.user = rest;
  if (keyword === "WORKDIR") stage.workdir = rest;
  if (keyword === "ENV") {
    for (const pair of rest.match(/\w+=("[^"]*"|\S+)/g) ?? []) {
      const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
      stage.env[name] = value.replace(/^"|"$/g, "");
    }
  }
  if (keyword === "HEALTHCHECK") {
    const at = rest.indexOf("CMD ");
    const options: Record<string, string> = {};
    for (const option of rest.slice(0, at).match(/--[\w-]+=\S+/g) ?? []) {
      const [name, value] = option.slice(2).split("=");
      options[name!] = value!;
    }
    stage.healthcheck = { options, cmd: JSON.parse(rest.slice(at + 4)) as string[] };
  }
  if (keyword === "COPY") {
    const words = rest.split(/\s+/);
    const from = words.find((word) => word.startsWith("--from="))?.slice("--from=".length);
    const paths = words.filter((word) => !word.startsWith("--"));
    stage.copies.push({ from, sources: paths.slice(0, -1), dest: paths.at(-1)! });
  }
}

/** The project's Dockerfile, parsed. */
export function readDockerfile(project: string): Stage[] {
  return parseDockerfile(readFileSync(join(project, "Dockerfile"), "utf8"));
}
