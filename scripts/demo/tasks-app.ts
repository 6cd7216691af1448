// The small bun app the demo pushes: a task list on bun:sqlite with two tests. The first
// version has a bug (finishing a task does nothing) that its test catches; the second fixes it.

const PACKAGE_JSON = `{
  "name": "tasks-app",
  "private": true,
  "type": "module",
  "scripts": { "test": "bun test" }
}
`;

const TEST = `import { expect, test } from "bun:test";
import { addTask, finishTask, openTasks, openTaskCount } from "./tasks";

test("a new task is open", () => {
  const db = openTasks();
  addTask(db, "write the release notes");
  expect(openTaskCount(db)).toBe(1);
});

test("a finished task is no longer open", () => {
  const db = openTasks();
  const id = addTask(db, "ship it");
  finishTask(db, id);
  expect(openTaskCount(db)).toBe(0);
});
`;

const tasks = (finish: string) => `import { Database } from "bun:sqlite";

export function openTasks(path = ":memory:"): Database {
  const db = new Database(path);
  db.run(
    "CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY, title TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)",
  );
  return db;
}

export function addTask(db: Database, title: string): number {
  const row = db.query("INSERT INTO tasks (title) VALUES (?) RETURNING id").get(title) as { id: number };
  return row.id;
}

export function finishTask(db: Database, id: number): void {
${finish}
}

export function openTaskCount(db: Database): number {
  return (db.query("SELECT count(*) AS n FROM tasks WHERE done = 0").get() as { n: number }).n;
}
`;

/** The first version: finishTask forgets to write, so the second test fails. */
export const BROKEN_APP: Record<string, string> = {
  "package.json": PACKAGE_JSON,
  "tasks.test.ts": TEST,
  "tasks.ts": tasks(`  // Bug: the task is looked up but never marked done.
  db.query("SELECT id FROM tasks WHERE id = ?").get(id);`),
};

/** The fix: finishTask marks the task done. */
export const FIXED_APP: Record<string, string> = {
  ...BROKEN_APP,
  "tasks.ts": tasks(`  db.query("UPDATE tasks SET done = 1 WHERE id = ?").run(id);`),
};
