// The generated tasks databases: made once into .bench/backup/db and reused while their marker
// file says they are complete (a generation cut short is made again).
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { baseEnv, exec } from "../exec.js";

export interface DatabaseSize {
  label: string;
  bytes: number;
}

export const SIZES: DatabaseSize[] = [
  { label: "10 MB", bytes: 10_000_000 },
  { label: "100 MB", bytes: 100_000_000 },
  { label: "1 GB", bytes: 1_000_000_000 },
];

/** Returns the path of the database of `size`, generating it first when needed. */
export async function ensureDatabase(
  dir: string,
  size: DatabaseSize,
  log: (line: string) => void,
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `tasks-${size.bytes}.sqlite3`);
  const marker = `${path}.done`;
  if (
    existsSync(path) &&
    existsSync(marker) &&
    readFileSync(marker, "utf8") === String(size.bytes)
  ) {
    return path;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`, marker]) rmSync(file, { force: true });
  log(`backup: generating the ${size.label} tasks database (once; reused by later runs)`);
  const started = Date.now();
  await exec("node", [join(import.meta.dirname, "make-db.mjs"), path, String(size.bytes)], {
    env: baseEnv({ HOME: process.env.HOME }),
  });
  writeFileSync(marker, String(size.bytes));
  log(
    `backup: ${size.label} database is ${statSync(path).size} bytes, made in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  return path;
}
