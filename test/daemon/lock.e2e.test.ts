// The folder lock under a real race: several processes try to take it at the same moment, over
// and over. Each holder writes "in"/"out" lines around its turn; two "in" in a row would mean two
// backups writing into one folder at once. The contenders run daemon/lock.ts with bun (the build
// bundles the daemon into one file, so there is no lock.js for node to import).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { dir } from "tmp-promise";
import { expect, it } from "vitest";

const LOCK_MODULE = resolve("daemon/lock.ts");
const BUN = resolve("node_modules/.bin/bun");

const CONTENDER = `
const { appendFileSync } = require("node:fs");
const [module, dir, journal, start] = process.argv.slice(1);
import(module).then(async ({ acquireLock, BackupBusyError }) => {
  while (Date.now() < Number(start)) {}
  let turns = 0;
  for (let i = 0; i < 200 && turns < 5; i++) {
    let lock;
    try {
      lock = await acquireLock(dir);
    } catch (error) {
      if (!(error instanceof BackupBusyError)) throw error;
      continue;
    }
    appendFileSync(journal, "in " + process.pid + "\\n");
    await new Promise((done) => setTimeout(done, 2));
    appendFileSync(journal, "out " + process.pid + "\\n");
    await lock.release();
    turns++;
  }
});
`;

it("lets exactly one of several racing processes hold the lock at any moment", async () => {
  const tmp = await dir({ unsafeCleanup: true });
  try {
    const journal = join(tmp.path, "journal");
    const start = String(Date.now() + 500);
    const children = Array.from({ length: 6 }, () =>
      spawn(BUN, ["-e", CONTENDER, LOCK_MODULE, tmp.path, journal, start], {
        stdio: ["ignore", "ignore", "inherit"],
      }),
    );
    const codes = await Promise.all(children.map(async (child) => (await once(child, "exit"))[0]));
    expect(codes).toEqual(children.map(() => 0));

    const lines = readFileSync(journal, "utf8").trim().split("\n");
    expect(lines.length).toBeGreaterThan(10);
    let holder: string | undefined;
    for (const line of lines) {
      const [event, pid] = line.split(" ");
      if (event === "in") {
        expect(holder, `${pid} got the lock while ${holder} held it`).toBeUndefined();
        holder = pid;
      } else {
        expect(pid).toBe(holder);
        holder = undefined;
      }
    }
  } finally {
    await tmp.cleanup();
  }
});
