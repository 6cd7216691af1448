import { describe, expect, test } from "vitest";
import { parseHookConfig, type HookConfig } from "../../hooks/config.js";
import { isProtected, planPush, readPushContext, type PushContext } from "../../hooks/policy.js";
import { parseRefUpdates } from "../../hooks/refs.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const Z = "0".repeat(40);

function config(entries: Record<string, string | string[]> = {}): HookConfig {
  const listing = Object.entries(entries)
    .flatMap(([key, value]) =>
      (Array.isArray(value) ? value : [value]).map((v) => `guardrail.${key}\n${v}`),
    )
    .join("\0");
  return parseHookConfig(listing);
}

const alice: PushContext = { pusher: "alice", internal: false, pushOptions: [] };

function actions(input: string, cfg = config(), context = alice) {
  return planPush(parseRefUpdates(input), cfg, context).decisions.map((d) => [
    d.update.ref,
    d.action.kind,
  ]);
}

describe("planPush", () => {
  test("tests protected branches and passes everything else", () => {
    const input = [
      `${A} ${B} refs/heads/main`,
      `${A} ${B} refs/heads/feature`,
      `${Z} ${B} refs/tags/v1`,
      `${Z} ${B} refs/pull/1/head`,
      `${Z} ${B} refs/for/main`,
    ].join("\n");
    expect(actions(input)).toEqual([
      ["refs/for/main", "pass"],
      ["refs/heads/feature", "pass"],
      ["refs/heads/main", "test"],
      ["refs/pull/1/head", "pass"],
      ["refs/tags/v1", "pass"],
    ]);
  });

  test("gives the same decisions whatever the order of the ref lines", () => {
    const lines = [`${A} ${B} refs/heads/main`, `${Z} ${A} refs/heads/x`, `${B} ${Z} refs/tags/t`];
    const forward = planPush(parseRefUpdates(lines.join("\n")), config(), alice);
    const backward = planPush(parseRefUpdates([...lines].reverse().join("\n")), config(), alice);
    expect(backward).toEqual(forward);
  });

  test("refuses deleting a protected branch unless guardrail.allowDelete", () => {
    expect(actions(`${A} ${Z} refs/heads/main`)).toEqual([["refs/heads/main", "refuse"]]);
    expect(actions(`${A} ${Z} refs/heads/main`, config({ allowDelete: "yes" }))).toEqual([
      ["refs/heads/main", "pass"],
    ]);
  });

  test("refuses pushers outside guardrail.pushers, and an unknown pusher", () => {
    const cfg = config({ pushers: ["bob", "carol"] });
    expect(actions(`${A} ${B} refs/heads/main`, cfg)).toEqual([["refs/heads/main", "refuse"]]);
    expect(actions(`${A} ${B} refs/heads/main`, cfg, { ...alice, pusher: undefined })).toEqual([
      ["refs/heads/main", "refuse"],
    ]);
    expect(actions(`${A} ${B} refs/heads/main`, cfg, { ...alice, pusher: "carol" })).toEqual([
      ["refs/heads/main", "test"],
    ]);
  });

  test("honours -o guardrail.skip only for pushers in guardrail.allowSkip", () => {
    const cfg = config({ allowSkip: "alice" });
    const skip = { ...alice, pushOptions: ["guardrail.skip=hotfix for outage"] };
    const honoured = planPush(parseRefUpdates(`${A} ${B} refs/heads/main`), cfg, skip);
    expect(honoured.bypass).toEqual({
      requested: true,
      honoured: true,
      reason: "hotfix for outage",
    });
    expect(honoured.decisions[0]?.action.kind).toBe("pass");

    const ignored = planPush(parseRefUpdates(`${A} ${B} refs/heads/main`), cfg, {
      ...skip,
      pusher: "eve",
    });
    expect(ignored.bypass.honoured).toBe(false);
    expect(ignored.notes[0]).toContain("eve is not in guardrail.allowSkip");
    expect(ignored.decisions[0]?.action.kind).toBe("test");
  });

  test("passes every ref of an internal push and of mode off", () => {
    const input = `${A} ${Z} refs/heads/main`;
    expect(actions(input, config(), { ...alice, internal: true })).toEqual([
      ["refs/heads/main", "pass"],
    ]);
    expect(actions(input, config({ mode: "off" }))).toEqual([["refs/heads/main", "pass"]]);
  });
});

describe("isProtected", () => {
  test("matches exact names, full ref names and globs within one path segment", () => {
    expect(isProtected("refs/heads/main", ["main"])).toBe(true);
    expect(isProtected("refs/heads/main", ["refs/heads/main"])).toBe(true);
    expect(isProtected("refs/heads/mainline", ["main"])).toBe(false);
    expect(isProtected("refs/heads/release/2", ["release/*"])).toBe(true);
    expect(isProtected("refs/heads/release/2/x", ["release/*"])).toBe(false);
    expect(isProtected("refs/heads/release/2/x", ["release/**"])).toBe(true);
    expect(isProtected("refs/tags/main", ["main"])).toBe(false);
  });
});

describe("readPushContext", () => {
  test("reads the pusher, the internal flag and the push options", () => {
    const context = readPushContext({
      GITEA_PUSHER_NAME: "alice",
      GITEA_INTERNAL_PUSH: "true",
      GIT_PUSH_OPTION_COUNT: "2",
      GIT_PUSH_OPTION_0: "guardrail.skip",
      GIT_PUSH_OPTION_1: "ci.skip",
    });
    expect(context).toEqual({
      pusher: "alice",
      internal: true,
      pushOptions: ["guardrail.skip", "ci.skip"],
    });
  });
});

describe("parseHookConfig", () => {
  test("gives the documented defaults", () => {
    expect(config()).toMatchObject({
      branch: ["main"],
      allowDelete: false,
      installCommand: "bun install --frozen-lockfile",
      testCommand: "bun test",
      workdir: ".",
      mode: "enforce",
      timeout: 600,
      progressInterval: 10,
      tailLines: 150,
      pushers: [],
    });
  });

  test("reads keys case-insensitively, the last single value winning", () => {
    const listing =
      "guardrail.timeout\n30\0GUARDRAIL.TIMEOUT\n45\0guardrail.allowdelete\0guardrail.passenv\nA B,C";
    expect(parseHookConfig(listing)).toMatchObject({
      timeout: 45,
      allowDelete: true,
      passEnv: ["A", "B", "C"],
    });
  });

  test("lists every problem at once, each naming its key", () => {
    expect(() =>
      config({ timeout: "0", mode: "loud", workdir: "../up", passEnv: "SSH_AUTH_SOCK", typo: "x" }),
    ).toThrowError(
      expect.objectContaining({
        problems: expect.arrayContaining([
          expect.stringContaining("guardrail.typo: unknown key"),
          expect.stringContaining("guardrail.timeout"),
          expect.stringContaining("guardrail.mode"),
          expect.stringContaining("guardrail.workdir"),
          expect.stringContaining("guardrail.passEnv"),
        ]),
      }),
    );
  });
});
