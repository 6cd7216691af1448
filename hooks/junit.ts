// Reading the failing tests out of bun's JUnit report.
import { readFile } from "node:fs/promises";
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

/** Parses a JUnit file; undefined when it is missing or unreadable (the tests never got there). */
export async function readJunitReport(
  path: string,
  messageLines = 6,
): Promise<JunitReport | undefined> {
  const xml = await readFile(path, "utf8").catch(() => undefined);
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
