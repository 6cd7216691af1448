import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readJunitReport } from "../../hooks/junit.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "guardrail-junit-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const REPORT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="bun test" tests="3" failures="1" skipped="1">
  <testsuite name="tasks.test.ts" file="tasks.test.ts" tests="3" failures="1" skipped="1">
    <testcase name="opens a task" classname="tasks" />
    <testcase name="closes a task" classname="tasks">
      <failure type="AssertionError" message="expected 0, got 1">expected 0, got 1</failure>
    </testcase>
    <testcase name="later" classname="tasks"><skipped /></testcase>
  </testsuite>
</testsuites>
`;

describe("reading bun's JUnit report", () => {
  it("gives the counts and the failing tests of a real report", async () => {
    const path = join(dir, "junit.xml");
    writeFileSync(path, REPORT);
    const report = await readJunitReport(path);
    expect(report?.counts).toEqual({ tests: 3, failures: 1, skipped: 1 });
    expect(report?.failed.map((test) => test.file)).toEqual(["tasks.test.ts"]);
    expect(report?.failed[0]?.name).toContain("closes a task");
  });

  it("is no report, not a hang, when the tests left a fifo in its place", async () => {
    const path = join(dir, "junit.xml");
    execFileSync("mkfifo", [path]);
    expect(await readJunitReport(path)).toBeUndefined();
  });

  it("is no report when its name is a symlink, even to a real report or /dev/zero", async () => {
    writeFileSync(join(dir, "real.xml"), REPORT);
    symlinkSync(join(dir, "real.xml"), join(dir, "linked.xml"));
    symlinkSync("/dev/zero", join(dir, "zero.xml"));
    expect(await readJunitReport(join(dir, "linked.xml"))).toBeUndefined();
    expect(await readJunitReport(join(dir, "zero.xml"))).toBeUndefined();
  });

  it("is no report when the file is larger than any real report", async () => {
    const path = join(dir, "junit.xml");
    writeFileSync(path, REPORT);
    truncateSync(path, 64 * 2 ** 20);
    expect(await readJunitReport(path)).toBeUndefined();
  });
});
