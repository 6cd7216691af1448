import { describe, expect, test } from "vitest";
import { GuardrailError } from "../../shared/errors.js";
import { branchOf, parseRefUpdates } from "../../hooks/refs.js";

const ZERO40 = "0".repeat(40);
const A40 = "a".repeat(40);
const B40 = "b".repeat(40);
const A64 = "c".repeat(64);
const ZERO64 = "0".repeat(64);

describe("parseRefUpdates", () => {
  test("reads creates, updates and deletes", () => {
    const input = `${ZERO40} ${A40} refs/heads/main\n${A40} ${B40} refs/heads/dev\n${B40} ${ZERO40} refs/tags/v1\n`;
    expect(parseRefUpdates(input).map((u) => [u.ref, u.change])).toEqual([
      ["refs/heads/main", "create"],
      ["refs/heads/dev", "update"],
      ["refs/tags/v1", "delete"],
    ]);
  });

  test("accepts a last line without its newline, CRLF endings and blank lines", () => {
    const input = `\n${A40} ${B40} refs/heads/main\r\n\n${ZERO40} ${A40} refs/heads/x`;
    expect(parseRefUpdates(input)).toHaveLength(2);
    expect(parseRefUpdates(input)[1]).toMatchObject({ ref: "refs/heads/x", newSha: A40 });
  });

  test("reads 64-hex object ids of sha256 repositories", () => {
    const [update] = parseRefUpdates(`${ZERO64} ${A64} refs/heads/main`);
    expect(update).toMatchObject({ change: "create", newSha: A64 });
  });

  test.each([
    ["empty input", ""],
    ["input of blank lines only", "\n \r\n\t\n"],
  ])("refuses %s, since git always sends at least one ref", (_, input) => {
    expect(() => parseRefUpdates(input)).toThrow(/no ref updates on stdin/);
  });

  test("refuses a ref named twice, naming both lines", () => {
    const input = `${A40} ${B40} refs/heads/main\n${ZERO40} ${A40} refs/heads/dev\n${B40} ${A40} refs/heads/main`;
    expect(() => parseRefUpdates(input)).toThrow(
      /ref line 3 .*refs\/heads\/main was already updated on line 1/,
    );
  });

  test("reads a ref name that is not UTF-8 as git sends it, since git allows such names", () => {
    const bytes = Buffer.concat([
      Buffer.from(`${A40} ${B40} refs/heads/release/`),
      Buffer.from([0xe9, 0xff]),
    ]);
    const [update] = parseRefUpdates(bytes.toString("utf8"));
    expect(update?.ref).toBe("refs/heads/release/\ufffd\ufffd");
  });

  test.each([
    ["too few fields", `${A40} refs/heads/main`],
    ["too many fields", `${A40} ${B40} refs/heads/main extra`],
    ["short ids", `abc ${B40} refs/heads/main`],
    ["upper-case hex", `${A40.toUpperCase()} ${B40} refs/heads/main`],
    ["mixed id lengths", `${A40} ${A64} refs/heads/main`],
    ["a ref outside refs/", `${A40} ${B40} HEAD`],
    ["two zero ids", `${ZERO40} ${ZERO40} refs/heads/main`],
    ["two spaces between fields", `${A40}  ${B40} refs/heads/main`],
    ["tabs between fields", `${A40}\t${B40}\trefs/heads/main`],
    ["a trailing space", `${A40} ${B40} refs/heads/main `],
    ["a NUL in the ref name", `${A40} ${B40} refs/heads/ma\0in`],
    ["an escape character in the ref name", `${A40} ${B40} refs/heads/\u001b[2Jmain`],
    ["a CR inside the line", `${A40} ${B40} refs/heads/main\r\r`],
  ])("refuses %s, naming the line", (_, line) => {
    expect(() => parseRefUpdates(line)).toThrow(GuardrailError);
    expect(() => parseRefUpdates(line)).toThrow(/ref line 1/);
  });
});

describe("branchOf", () => {
  test("names branches and nothing else", () => {
    expect(branchOf("refs/heads/release/1.2")).toBe("release/1.2");
    expect(branchOf("refs/tags/v1")).toBeUndefined();
    expect(branchOf("refs/pull/3/head")).toBeUndefined();
  });
});
