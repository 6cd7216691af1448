// The push gate's figures: a non-gated push, a gated push with a warm and a cold cache against
// `bun test` and the plain shell hook in the same run, and growth with tests and dependencies.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, exec } from "../exec.js";
import type { Row } from "../report.js";
import { formatMs, interleave, median } from "../stats.js";
import type { AppShape } from "./fixture-app.js";
import { createServer, pushApp, runHook, type PushedApp } from "./server.js";

export interface HookBenchOptions {
  project: string;
  /** .bench/hook: everything this benchmark writes. */
  root: string;
  /** The bun that `bun test` and the plain hook use (the project's devDependency). */
  bun: string;
  reps: { nonGated: number; warm: number; cold: number; growth: number };
  log: (line: string) => void;
}

export interface HookBenchResult {
  rows: Row[];
  growth: Record<string, string>[];
}

const BASE: AppShape = { tests: 200, deps: 30 };
const GROWTH: AppShape[] = [
  { tests: 50, deps: 30 },
  BASE,
  { tests: 800, deps: 30 },
  { tests: 200, deps: 5 },
  { tests: 200, deps: 60 },
];

/** Runs every hook measurement and returns the table rows. */
export async function benchHook(options: HookBenchOptions): Promise<HookBenchResult> {
  const { root, bun, reps, log } = options;
  const server = await createServer(join(root, "server"), options.project);
  const tmp = join(root, "tmp");
  mkdirSync(tmp, { recursive: true });

  log("hook: writing the fixture apps and installing them from the npm registry");
  const apps = new Map<AppShape, PushedApp>();
  for (const shape of GROWTH) {
    const name = `t${shape.tests}-d${shape.deps}`;
    apps.set(
      shape,
      await pushApp(server, join(root, "apps", name), name, shape, bun, join(root, "cache-gen")),
    );
  }
  const base = apps.get(BASE)!;
  const binDir = join(options.project, "node_modules/.bin");
  const hookEnv = baseEnv({ HOME: process.env.HOME, TMPDIR: tmp });
  const rows: Row[] = [];

  // 1. A push to a branch that is not protected: the hook must only read config and let it pass.
  log(`hook: non-gated push × ${reps.nonGated}`);
  const nonGated: number[] = [];
  for (let i = 0; i < reps.nonGated; i++) {
    nonGated.push(
      (await runHook(server, server.hook, base.sha, "refs/heads/feature/x", hookEnv)).ms,
    );
  }
  const nonGatedMedian = median(nonGated);
  rows.push({
    figure: "non-gated push: hook time",
    value: formatMs(nonGatedMedian),
    peer: "limit",
    peerValue: "50 ms",
    ratio: nonGatedMedian / 50,
    target: "< 50 ms",
    met: nonGatedMedian < 50,
  });

  // 2. Gated pushes with warm caches: Guardrail's cacheDir and the plain hook's HOME both hold
  // every package from an untimed first run.
  const warmCache = join(root, "cache-warm");
  const plainHome = join(root, "plain-home");
  for (const dir of [warmCache, plainHome]) rmSync(dir, { recursive: true, force: true });
  mkdirSync(plainHome, { recursive: true });
  await server.config("guardrail.cacheDir", warmCache);
  // Each run sets guardrail.reuseDependencies first (untimed), so both settings share a round.
  const gated = async (app: PushedApp, reuse: boolean) => {
    await server.config("guardrail.reuseDependencies", String(reuse));
    return (await runHook(server, server.hook, app.sha, "refs/heads/main", hookEnv)).ms;
  };
  const contenders = (app: PushedApp, cache = { plainHome }) => ({
    guardrail: () => gated(app, true),
    plain: async () =>
      (
        await runHook(server, server.plainHook, app.sha, "refs/heads/main", {
          ...hookEnv,
          PATH: `${binDir}:${process.env.PATH}`,
          HOME: cache.plainHome,
        })
      ).ms,
    bunTest: async () =>
      (await exec(bun, ["test"], { cwd: app.dir, env: { ...hookEnv, HOME: process.env.HOME } })).ms,
  });

  log(`hook: gated push, warm cache, ${BASE.tests} tests / ${BASE.deps} deps × ${reps.warm}`);
  const withReuseOff = { ...contenders(base), reuseOff: () => gated(base, false) };
  await interleave(1, withReuseOff); // fills the caches
  const warm = await interleave(reps.warm, withReuseOff);
  const [g, p, b] = [median(warm.guardrail!), median(warm.plain!), median(warm.bunTest!)];
  const off = median(warm.reuseOff!);
  rows.push(
    {
      figure: "gated push, warm cache: hook time",
      value: formatMs(g),
      peer: "`bun test` in a prepared checkout",
      peerValue: formatMs(b),
      ratio: g / b,
      target: "≤ 1.15x",
      met: g / b <= 1.15,
    },
    {
      figure: "gated push, warm cache: hook time",
      value: formatMs(g),
      peer: "plain shell hook (archive, install, test)",
      peerValue: formatMs(p),
      ratio: g / p,
      target: "≤ 0.90x",
      met: g / p <= 0.9,
    },
    {
      figure: "gated push, warm cache: hook time",
      value: formatMs(g),
      peer: "the hook with guardrail.reuseDependencies=false",
      peerValue: formatMs(off),
      ratio: g / off,
      target: "",
      met: undefined,
    },
  );

  // 3. Cold caches: an empty cacheDir for Guardrail, an empty HOME for the plain hook, each time.
  log(`hook: gated push, cold cache × ${reps.cold}`);
  const coldTimes = { guardrail: [] as number[], plain: [] as number[] };
  for (let i = 0; i < reps.cold; i++) {
    const coldCache = join(root, `cache-cold-${i}`);
    const coldHome = join(root, `plain-home-cold-${i}`);
    for (const dir of [coldCache, coldHome]) rmSync(dir, { recursive: true, force: true });
    mkdirSync(coldHome, { recursive: true });
    await server.config("guardrail.cacheDir", coldCache);
    const cold = await interleave(1, {
      guardrail: contenders(base).guardrail,
      plain: contenders(base, { plainHome: coldHome }).plain,
    });
    coldTimes.guardrail.push(...cold.guardrail!);
    coldTimes.plain.push(...cold.plain!);
    for (const dir of [coldCache, coldHome]) rmSync(dir, { recursive: true, force: true });
  }
  const [gc, pc] = [median(coldTimes.guardrail), median(coldTimes.plain)];
  rows.push({
    figure: "gated push, cold cache: hook time",
    value: formatMs(gc),
    peer: "plain shell hook, empty HOME",
    peerValue: formatMs(pc),
    ratio: gc / pc,
    target: "",
    met: undefined,
  });

  // 4. Growth: the same warm-cache comparison for fewer and more tests and dependencies.
  await server.config("guardrail.cacheDir", warmCache);
  const growth: Record<string, string>[] = [];
  for (const shape of GROWTH) {
    const app = apps.get(shape)!;
    let times = shape === BASE ? warm : undefined;
    if (!times) {
      log(`hook: growth, ${shape.tests} tests / ${shape.deps} deps × ${reps.growth}`);
      await interleave(1, contenders(app));
      times = await interleave(reps.growth, contenders(app));
    }
    const [gg, pp, bb] = [median(times.guardrail!), median(times.plain!), median(times.bunTest!)];
    growth.push({
      tests: String(shape.tests),
      deps: String(shape.deps),
      "hook (warm)": formatMs(gg),
      "`bun test`": formatMs(bb),
      "plain hook": formatMs(pp),
      "hook / bun test": `${(gg / bb).toFixed(2)}x`,
      "hook / plain": `${(gg / pp).toFixed(2)}x`,
      "hook − bun test": formatMs(gg - bb),
    });
    if (shape !== BASE) {
      rows.push({
        figure: `growth: ${shape.tests} tests / ${shape.deps} deps, hook time`,
        value: formatMs(gg),
        peer: "`bun test` in a prepared checkout",
        peerValue: formatMs(bb),
        ratio: gg / bb,
        target: "",
        met: undefined,
      });
    }
  }
  return { rows, growth };
}
