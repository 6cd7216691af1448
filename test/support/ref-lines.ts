// Made-up pre-receive stdin for property tests. Each generated line knows what it is (a
// well-formed update, a blank line or a malformed line), so that gate-oracle.ts can say what the
// gate must do with it without asking the parser under test.
import fc from "fast-check";
import type { GateObjects } from "./gate-repo.js";

export type StdinLine =
  | { kind: "update"; oldSha: string; newSha: string; ref: Buffer; bytes: Buffer }
  | { kind: "blank"; bytes: Buffer }
  | { kind: "bad"; why: string; bytes: Buffer };

export interface Stdin {
  lines: StdinLine[];
  /** The lines with their endings, exactly as the hook reads them. */
  bytes: Buffer;
}

const PROTECTED_REFS = [
  "refs/heads/main",
  "refs/heads/release/1.0",
  "refs/heads/release/",
  "refs/heads/release/été",
];
const OTHER_REFS = [
  "refs/heads/dev",
  "refs/heads/mainline",
  "refs/heads/Main",
  "refs/heads/main/x",
  "refs/heads/release/1/2",
  "refs/heads/ma\u200bin",
  "refs/tags/v1.0",
  "refs/tags/main",
  "refs/pull/7/head",
  "refs/pull/7/merge",
  "refs/notes/commits",
];
const NAME_CHARS = [..."abcdefghijklmnopqrstuvwxyz0123456789.-_"];

const name = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 12 });
const refArb: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom(...PROTECTED_REFS).map((ref) => Buffer.from(ref)) },
  { weight: 10, arbitrary: name.map((n) => Buffer.from(`refs/heads/release/${n}`)) },
  // Git allows any byte from 0x80 in a ref name; these are not UTF-8.
  { weight: 5, arbitrary: fc.constant(Buffer.from("refs/heads/release/\xff\xfe", "latin1")) },
  { weight: 5, arbitrary: fc.constant(Buffer.from("refs/heads/\xe9main", "latin1")) },
  { weight: 25, arbitrary: fc.constantFrom(...OTHER_REFS).map((ref) => Buffer.from(ref)) },
  { weight: 10, arbitrary: name.map((n) => Buffer.from(`refs/heads/feature/${n}`)) },
  { weight: 1, arbitrary: fc.constant(Buffer.from(`refs/heads/${"long-".repeat(40_000)}`)) },
);

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });

/** A well-formed line: both ids of one length, not both zero, a ref under refs/. */
function updateArb(objects: GateObjects): fc.Arbitrary<StdinLine & { kind: "update" }> {
  const own = objects.hexLength;
  const other = own === 40 ? 64 : 40;
  const ids = fc.oneof(
    { weight: 9, arbitrary: idsOfLength(objects, own) },
    { weight: 1, arbitrary: fc.tuple(zeroOr(hex(other), other), zeroOr(hex(other), other)) },
  );
  return fc.tuple(ids, refArb).map(([[oldSha, chosenNew], ref]) => {
    const zero = "0".repeat(oldSha.length);
    const newSha = oldSha === zero && chosenNew === zero ? "1".repeat(zero.length) : chosenNew;
    const bytes = Buffer.concat([Buffer.from(`${oldSha} ${newSha} `), ref]);
    return { kind: "update" as const, oldSha, newSha, ref, bytes };
  });
}

function idsOfLength(objects: GateObjects, length: number): fc.Arbitrary<[string, string]> {
  const zero = "0".repeat(length);
  const oldSha = fc.oneof(
    { weight: 2, arbitrary: fc.constant(zero) },
    { weight: 2, arbitrary: fc.constantFrom(...objects.passing) },
    { weight: 1, arbitrary: hex(length) },
  );
  const newSha = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...objects.passing) },
    { weight: 1, arbitrary: fc.constantFrom(...objects.failing) },
    { weight: 1, arbitrary: fc.constant(objects.tag) },
    { weight: 1, arbitrary: fc.constant(objects.blob) },
    { weight: 2, arbitrary: hex(length) },
    { weight: 1, arbitrary: fc.constant(zero) },
  );
  return fc.tuple(oldSha, newSha);
}

function zeroOr(arb: fc.Arbitrary<string>, length: number): fc.Arbitrary<string> {
  return fc.oneof(arb, fc.constant("0".repeat(length)));
}

type Parts = { oldSha: string; newSha: string; ref: Buffer };
const text = (...parts: (string | Buffer)[]) =>
  Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : part)));
const NOT_HEX = ["g", "G", "A", "F", "\0", "é", "\ufffd", "-"];
const NO_PREFIX = ["HEAD", "main", "heads/main", "Refs/heads/main", "/refs/heads/main", "refs"];
const CONTROL = [0x00, 0x01, 0x09, 0x0d, 0x1b, 0x7f];

/** Ways to spoil a well-formed line; each result is malformed whatever `n` is. */
const SPOILERS: { why: string; spoil: (p: Parts, n: number) => Buffer }[] = [
  { why: "one field", spoil: (p) => text(p.oldSha) },
  { why: "two fields", spoil: (p) => text(p.oldSha, " ", p.newSha) },
  { why: "four fields", spoil: (p) => text(p.oldSha, " ", p.newSha, " ", p.ref, " extra") },
  { why: "two spaces", spoil: (p) => text(p.oldSha, "  ", p.newSha, " ", p.ref) },
  { why: "leading space", spoil: (p) => text(" ", p.oldSha, " ", p.newSha, " ", p.ref) },
  { why: "trailing space", spoil: (p) => text(p.oldSha, " ", p.newSha, " ", p.ref, " ") },
  { why: "tabs", spoil: (p) => text(p.oldSha, "\t", p.newSha, "\t", p.ref) },
  {
    why: "a character that is not lower-case hex",
    spoil: (p, n) => {
      const at = n % p.newSha.length;
      const bad = NOT_HEX[n % NOT_HEX.length] ?? "g";
      return text(p.oldSha, " ", p.newSha.slice(0, at), bad, p.newSha.slice(at + 1), " ", p.ref);
    },
  },
  {
    why: "a byte that is not UTF-8 in an id",
    spoil: (p) => text(p.oldSha, " ", Buffer.from([0xff]), " ", p.ref),
  },
  { why: "a short id", spoil: (p) => text(p.oldSha, " ", p.newSha.slice(1), " ", p.ref) },
  { why: "a long id", spoil: (p) => text(p.oldSha, " ", p.newSha, "a ", p.ref) },
  {
    why: "ids of two lengths",
    spoil: (p) => {
      const other = p.newSha.length === 40 ? `${p.newSha}${"a".repeat(24)}` : p.newSha.slice(24);
      return text(p.oldSha, " ", other, " ", p.ref);
    },
  },
  {
    why: "two zero ids",
    spoil: (p) => text("0".repeat(p.oldSha.length), " ", "0".repeat(p.oldSha.length), " ", p.ref),
  },
  {
    why: "a ref outside refs/",
    spoil: (p, n) => text(p.oldSha, " ", p.newSha, " ", NO_PREFIX[n % NO_PREFIX.length] ?? "HEAD"),
  },
  {
    why: "a control character in the ref",
    // Never at the very end: a CR there is a CRLF line ending, which the hook accepts.
    spoil: (p, n) => {
      const at = 5 + (n % (p.ref.length - 5));
      const byte = Buffer.from([CONTROL[n % CONTROL.length] ?? 0]);
      return text(p.oldSha, " ", p.newSha, " ", p.ref.subarray(0, at), byte, p.ref.subarray(at));
    },
  },
  { why: "a byte-order mark", spoil: (p) => text("\ufeff", p.oldSha, " ", p.newSha, " ", p.ref) },
  { why: "a NUL", spoil: () => text("\0") },
];

function badArb(objects: GateObjects): fc.Arbitrary<StdinLine> {
  const garbage = fc
    .uint8Array({ maxLength: 300 })
    .map((bytes) => text("z", Buffer.from(bytes.map((b) => (b === 0x0a ? 0x20 : b)))));
  const spoiled = fc
    .tuple(updateArb(objects), fc.nat(), fc.constantFrom(...SPOILERS))
    .map(([line, n, { why, spoil }]) => ({ kind: "bad" as const, why, bytes: spoil(line, n) }));
  return fc.oneof(
    { weight: 16, arbitrary: spoiled },
    {
      weight: 4,
      arbitrary: garbage.map((bytes) => ({ kind: "bad" as const, why: "garbage", bytes })),
    },
    {
      weight: 1,
      arbitrary: fc.constant({
        kind: "bad" as const,
        why: "a huge line",
        bytes: text("x".repeat(300_000)),
      }),
    },
  );
}

const blankArb: fc.Arbitrary<StdinLine> = fc
  .constantFrom("", " ", "\t", " \t ", "\r")
  .map((blank) => ({ kind: "blank" as const, bytes: text(blank) }));

/** Joins lines with LF or CRLF endings, the last one maybe without. */
function joined(lines: fc.Arbitrary<StdinLine[]>): fc.Arbitrary<Stdin> {
  return lines.chain((list) =>
    fc
      .tuple(
        fc.array(fc.constantFrom("\n", "\r\n"), { minLength: list.length, maxLength: list.length }),
        fc.boolean(),
      )
      .map(([endings, lastEnds]) => ({
        [fc.toStringMethod]: () => describeStdin(list),
        lines: list,
        bytes: text(
          ...list.flatMap((line, i) =>
            i === list.length - 1 && !lastEnds ? [line.bytes] : [line.bytes, endings[i] ?? "\n"],
          ),
        ),
      })),
  );
}

/**
 * Stdin for a push to a repository holding `objects`: well-formed pushes of distinct refs (some
 * with blank lines), any mix of lines (malformed ones, repeated refs), and empty input or bare
 * newlines. The mix is weighted so that about a fifth of the cases run tests, which cost ~100x
 * more than the others.
 */
export function stdinArb(objects: GateObjects): fc.Arbitrary<Stdin> {
  const update = updateArb(objects);
  const wellFormed = fc
    .tuple(
      fc.uniqueArray(update, {
        minLength: 1,
        maxLength: 4,
        selector: (u) => u.ref.toString("utf8"),
      }),
      fc.array(fc.tuple(fc.nat(), blankArb), { maxLength: 2 }),
    )
    .map(([updates, blanks]) => {
      const lines: StdinLine[] = [...updates];
      for (const [at, blank] of blanks) lines.splice(at % (lines.length + 1), 0, blank);
      return lines;
    });
  const anyLine = fc.oneof(
    { weight: 5, arbitrary: update as fc.Arbitrary<StdinLine> },
    { weight: 2, arbitrary: badArb(objects) },
    { weight: 1, arbitrary: blankArb },
  );
  const mixed = fc.array(anyLine, { minLength: 1, maxLength: 5 });
  const nothing = fc.oneof(
    fc.constant<StdinLine[]>([]),
    fc.array(blankArb, { minLength: 1, maxLength: 20 }),
  );

  return fc.oneof(
    { weight: 2, arbitrary: joined(wellFormed) },
    { weight: 5, arbitrary: joined(mixed) },
    { weight: 1, arbitrary: joined(nothing) },
  );
}

/** A short printable description of a case, for fast-check's counterexample report. */
function describeStdin(lines: StdinLine[]): string {
  const shown = lines.map((line) =>
    line.kind === "bad" ? `bad (${line.why})` : line.bytes.toString("latin1").slice(0, 120),
  );
  return JSON.stringify(shown);
}
