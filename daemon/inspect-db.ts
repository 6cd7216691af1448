// Looking inside a restored database: the checks and facts that restore and drills compare with
// the manifest written when the backup was taken.
import Database from "better-sqlite3";

export interface DatabaseFacts {
  /** "ok", or the problems integrity_check / quick_check reported, joined. */
  check: string;
  /** Rows reported by foreign_key_check (0 when the check was not asked for). */
  foreignKeyViolations: number;
  userVersion: number;
  /** Row count per table, sqlite_% tables left out (as in the manifest). */
  tables: Record<string, number>;
}

/**
 * Opens `path` read-only and runs `integrity_check` (`quick_check` when `full` is false) and,
 * when asked, `foreign_key_check`. Throws when the file is not a SQLite database at all.
 * `writable` opens it read-write: on a WAL file a read-only connection leaves -wal/-shm behind
 * (owned by whoever ran it); a read-write one removes them when it closes.
 */
export function inspectDatabase(
  path: string,
  options: { full: boolean; foreignKeys: boolean; writable?: boolean },
): DatabaseFacts {
  const db = new Database(path, { readonly: options.writable !== true, fileMustExist: true });
  try {
    const pragma = options.full ? "integrity_check" : "quick_check";
    const rows = db.pragma(pragma) as Record<string, string>[];
    const messages = rows.map((row) => String(Object.values(row)[0]));
    const check = messages.length === 1 && messages[0] === "ok" ? "ok" : messages.join("; ");
    const foreignKeyViolations = options.foreignKeys
      ? (db.pragma("foreign_key_check") as unknown[]).length
      : 0;
    const userVersion = Number(db.pragma("user_version", { simple: true }));

    const names = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .pluck()
      .all() as string[];
    const tables: Record<string, number> = {};
    for (const name of names) {
      const quoted = `"${name.replaceAll('"', '""')}"`;
      tables[name] = Number(db.prepare(`SELECT count(*) FROM ${quoted}`).pluck().get());
    }
    return { check, foreignKeyViolations, userVersion, tables };
  } finally {
    db.close();
  }
}

/** Differences between the tables and row counts found and those a manifest recorded. */
export function compareTables(
  found: Record<string, number>,
  expected: Record<string, number>,
): string[] {
  const problems: string[] = [];
  for (const [name, rows] of Object.entries(expected)) {
    if (!(name in found)) problems.push(`table ${name} is missing`);
    else if (found[name] !== rows)
      problems.push(`table ${name} has ${found[name]} rows, not ${rows}`);
  }
  for (const name of Object.keys(found)) {
    if (!(name in expected)) problems.push(`table ${name} is not in the manifest`);
  }
  return problems;
}
