// Reading the failing tests out of bun's JUnit report.
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { XMLParser } from "fast-xml-parser";

export interface TestCounts {
  tests: number;
  failures: number;
  skipped: number;
}

export interface FailedTest {
  /** `describe > test` as bun prints it, with the file. */
  name: string;
  file: string | undefined;
  /** The first lines of the failure message. */
  message: string[];
}

export interface JunitReport {
  counts: TestCounts;
  failed: FailedTest[];
}

interface Node {
  [key: string]: unknown;
}

/** A report larger than this is not read: real ones of thousands of tests stay far below. */
const MAX_REPORT_BYTES = 16 * 2 ** 20;

/**
 * Parses a JUnit file; undefined when it is missing or unreadable (the tests never got there),
 * or not a plain file of reasonable size. The pushed tests can write where the report goes, so
 * a fifo (which would block this read forever), a symlink to /dev/zero or a huge file in its
 * place is no report, never a hang or a memory blow-up of the hook.
 */
export async function readJunitReport(
  path: string,
  messageLines = 6,
): Promise<JunitReport | undefined> {
  const xml = await readPlainFile(path, MAX_REPORT_BYTES);
  if (!xml) return undefined;

  let root: Node;
  try {
    const parser = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: "",
      htmlEntities: true,
      isArray: (name) => ["testsuite", "testcase", "failure", "error"].includes(name),
    });
    root = parser.parse(xml) as Node;
  } catch {
    return undefined;
  }
  const suites = root.testsuites as Node | undefined;
  if (!suites) return undefined;

  const failed: FailedTest[] = [];
  collectFailures(suites, [], failed, messageLines);
  return {
    counts: {
      tests: Number(suites.tests ?? 0),
      failures: Number(suites.failures ?? 0) + Number(suites.errors ?? 0),
      skipped: Number(suites.skipped ?? 0),
    },
    failed,
  };
}

function collectFailures(node: Node, path: string[], out: FailedTest[], messageLines: number) {
  // The outermost suites are files, the inner ones describe blocks: path is [file, ...describes].
  for (const suite of (node.testsuite as Node[] | undefined) ?? []) {
    collectFailures(suite, [...path, String(suite.name ?? "")], out, messageLines);
  }
  for (const testcase of (node.testcase as Node[] | undefined) ?? []) {
    const problems = [
      ...((testcase.failure as unknown[] | undefined) ?? []),
      ...((testcase.error as unknown[] | undefined) ?? []),
    ];
    if (problems.length === 0) continue;
    const first = problems[0];
    const text =
      typeof first === "string"
        ? first
        : String((first as Node)["#text"] ?? (first as Node).message ?? "");
    out.push({
      name: [...path.slice(1), String(testcase.name ?? "")].join(" > "),
      file: testcase.file === undefined ? path[0] : String(testcase.file),
      message: text
        .split("\n")
        .map((line) => line.trimEnd())
        .filter((line) => line.trim() !== "")
        .slice(0, messageLines),
    });
  }
}

/** The file's text when it is a regular file (not through a symlink) of at most `limit` bytes. */
async function readPlainFile(path: string, limit: number): Promise<string | undefined> {
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const handle = await open(path, flags).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > limit) return undefined;
    const buffer = Buffer.alloc(info.size);
    const { bytesRead } = await handle.read(buffer, 0, info.size, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}
