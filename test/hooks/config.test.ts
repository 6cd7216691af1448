// The number keys of the push gate's config: plain decimal digits only, so that an admin's
// `0x10` or `1e3` is refused by name instead of silently meaning 16 or 1000.
import { describe, expect, test } from "vitest";
import { parseHookConfig, type HookConfig } from "../../hooks/config.js";

const NUMBER_KEYS = [
  ["timeout", "must be a whole number of seconds"],
  ["progressInterval", "must be a whole number of seconds"],
  ["tailLines", "must be a whole number of lines from 10 to 10000"],
  ["limitProcesses", "must be a whole number of processes, or 0 / unlimited for no limit"],
  ["limitCpuTime", "must be a whole number of seconds, or 0 / unlimited for no limit"],
] as const;

type NumberKey = (typeof NUMBER_KEYS)[number][0];

function parse(key: string, value: string): HookConfig {
  return parseHookConfig(`guardrail.${key}\n${value}`);
}

function problemsOf(key: string, value: string): string[] {
  try {
    parse(key, value);
  } catch (error) {
    return (error as { problems: string[] }).problems;
  }
  return [];
}

describe("a number key", () => {
  test.each(NUMBER_KEYS)("guardrail.%s takes plain decimal digits, whitespace trimmed", (key) => {
    const read = (value: string) => parse(key, value)[key as NumberKey];
    expect(read("16")).toBe(16);
    expect(read(" 20\t")).toBe(20);
    expect(read("0030")).toBe(30);
  });

  test.each(NUMBER_KEYS)(
    "guardrail.%s refuses hex, exponents, signs, fractions and separators with its message",
    (key, message) => {
      for (const value of ["0x10", "1e3", "+16", "16.0", "1_000", "1 000", "٣٠", "Infinity"]) {
        expect(problemsOf(key, value), value).toEqual([
          `guardrail.${key} = ${JSON.stringify(value)}: ${message}`,
        ]);
      }
    },
  );

  test("guardrail.timeout and progressInterval keep their bounds after the digit check", () => {
    expect(problemsOf("timeout", "0")).toEqual([
      'guardrail.timeout = "0": must be at least 1 second',
    ]);
    expect(problemsOf("progressInterval", "86401")).toEqual([
      'guardrail.progressInterval = "86401": must be at most 86400 seconds (one day)',
    ]);
    expect(problemsOf("timeout", "9".repeat(400))).toHaveLength(1);
    expect(problemsOf("tailLines", "9")).toHaveLength(1);
  });

  test("guardrail.timeout refuses an empty value instead of reading it as 0", () => {
    expect(problemsOf("timeout", "")).toEqual([
      'guardrail.timeout = "": must be a whole number of seconds',
    ]);
    expect(problemsOf("timeout", "  ")).toHaveLength(1);
  });

  test("a limit refuses digits too many to name one number, and still takes 0 as off", () => {
    expect(problemsOf("limitProcesses", "99999999999999999999")).toEqual([
      'guardrail.limitProcesses = "99999999999999999999": must be a whole number of processes, or 0 / unlimited for no limit',
    ]);
    expect(parse("limitCpuTime", " 0 ").limitCpuTime).toBeNull();
  });
});
