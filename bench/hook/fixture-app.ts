// A realistic app to push: a small tasks service on bun:sqlite with N real npm dependencies and
// T tests spread over several files, written fresh by every run (its bun.lock comes from a real
// `bun install` at bench time, see server.ts).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEPENDENCIES } from "./dependencies.js";

export interface AppShape {
  tests: number;
  deps: number;
}

const TESTS_PER_FILE = 25;

// The app itself: a store over bun:sqlite with a schema, indexes, and the queries its tests use.
const STORE = `import { Database } from "bun:sqlite";

export interface Task { id: number; title: string; status: string; priority: number; updated: number }

export class TaskStore {
  readonly db: Database;
  constructor(path = ":memory:") {
    this.db = new Database(path, { create: true });
    this.db.exec("PRAGMA journal_mode = WAL");
    this.db.exec(\`CREATE TABLE IF NOT EXISTS tasks (
      id INTEGER PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open',
      priority INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS tasks_status ON tasks (status, priority);
      CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY,
        task INTEGER NOT NULL REFERENCES tasks (id), body TEXT NOT NULL);\`);
  }
  add(title: string, priority = 0): number {
    const row = this.db.query("INSERT INTO tasks (title, priority) VALUES (?, ?) RETURNING id").get(title, priority) as { id: number };
    return row.id;
  }
  get(id: number): Task | undefined {
    return (this.db.query("SELECT * FROM tasks WHERE id = ?").get(id) as Task | null) ?? undefined;
  }
  complete(id: number, at: number): void {
    this.db.query("UPDATE tasks SET status = 'done', updated = ? WHERE id = ?").run(at, id);
  }
  byStatus(status: string): Task[] {
    return this.db.query("SELECT * FROM tasks WHERE status = ? ORDER BY priority DESC, id").all(status) as Task[];
  }
  search(text: string): Task[] {
    return this.db.query("SELECT * FROM tasks WHERE title LIKE ? ORDER BY id").all(\`%\${text}%\`) as Task[];
  }
  addMany(titles: string[]): void {
    const insert = this.db.query("INSERT INTO tasks (title) VALUES (?)");
    this.db.transaction((list: string[]) => { for (const t of list) insert.run(t); })(titles);
  }
  note(task: number, body: string): void {
    this.db.query("INSERT INTO notes (task, body) VALUES (?, ?)").run(task, body);
  }
  count(): number {
    return (this.db.query("SELECT count(*) AS n FROM tasks").get() as { n: number }).n;
  }
  close(): void { this.db.close(); }
}

export function slugify(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
`;

// One test per template, cycling; each does a little real work, as an app's unit tests do.
const TEMPLATES: ((i: number) => string)[] = [
  (i) => `test("task ${i} round-trips through the store", () => {
  const store = new TaskStore();
  const id = store.add("task ${i}", ${i % 5});
  expect(store.get(id)).toMatchObject({ title: "task ${i}", priority: ${i % 5}, status: "open" });
  store.close();
});`,
  (i) => `test("open tasks of batch ${i} come by priority", () => {
  const store = new TaskStore();
  for (let n = 0; n < 20; n++) store.add(\`batch ${i} #\${n}\`, n % 4);
  const open = store.byStatus("open");
  expect(open).toHaveLength(20);
  expect(open[0]!.priority).toBe(3);
  store.close();
});`,
  (i) => `test("completing task ${i} moves it to done", () => {
  const store = new TaskStore();
  const id = store.add("finish ${i}");
  store.complete(id, ${1_700_000_000 + i});
  expect(store.byStatus("done").map((t) => t.id)).toEqual([id]);
  expect(store.get(id)!.updated).toBe(${1_700_000_000 + i});
  store.close();
});`,
  (i) => `test("search ${i} finds titles by substring", () => {
  const store = new TaskStore();
  store.addMany(["alpha ${i}", "beta ${i}", "alphabet ${i}", "gamma"]);
  expect(store.search("alpha").length).toBe(2);
  store.close();
});`,
  (i) => `test("a transaction of 200 tasks (${i}) commits at once", () => {
  const store = new TaskStore();
  store.addMany(Array.from({ length: 200 }, (_, n) => \`bulk ${i} \${n}\`));
  expect(store.count()).toBe(200);
  store.close();
});`,
  (i) => `test("a file database ${i} keeps its tasks across reopening", () => {
  const dir = mkdtempSync(join(tmpdir(), "tasks-"));
  const path = join(dir, "tasks.db");
  const first = new TaskStore(path);
  first.add("persisted ${i}");
  first.note(1, "a note");
  first.close();
  const second = new TaskStore(path);
  expect(second.count()).toBe(1);
  second.close();
  rmSync(dir, { recursive: true, force: true });
});`,
  (i) => `test("slug of title ${i} is url-safe", () => {
  expect(slugify("  Fix #${i}: Crash on Save! ")).toBe("fix-${i}-crash-on-save");
});`,
  (i) => `test("task ${i} serialises to stable JSON", () => {
  const store = new TaskStore();
  const task = store.get(store.add("json ${i}", 2))!;
  const text = JSON.stringify(task, Object.keys(task).sort());
  expect(JSON.parse(text)).toEqual(task);
  store.close();
});`,
];

function testFile(index: number, count: number, firstTest: number, deps: number): string {
  const tests = Array.from({ length: count }, (_, n) => {
    const i = firstTest + n;
    return TEMPLATES[i % TEMPLATES.length]!(i);
  });
  return `import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { modules } from "../src/deps.ts";
import { slugify, TaskStore } from "../src/store.ts";

test("file ${index} sees all ${deps} dependencies", () => {
  expect(modules.filter((m) => m !== undefined)).toHaveLength(${deps});
});

${tests.join("\n\n")}
`;
}

/** Writes the app (package.json, src/, tests/) into `dir`, replacing what was there. */
export function writeFixtureApp(dir: string, shape: AppShape): void {
  if (shape.deps > DEPENDENCIES.length) {
    throw new Error(`at most ${DEPENDENCIES.length} dependencies are listed in dependencies.ts`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "src"), { recursive: true });
  mkdirSync(join(dir, "tests"));

  const deps = DEPENDENCIES.slice(0, shape.deps);
  const pkg = {
    name: "bench-tasks-app",
    private: true,
    type: "module",
    dependencies: Object.fromEntries(deps),
  };
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(join(dir, ".gitignore"), "node_modules/\n");
  writeFileSync(join(dir, "src/store.ts"), STORE);
  const imports = deps.map(([name], i) => `import * as dep${i} from "${name}";`);
  const list = deps.map((_, i) => `dep${i}`).join(", ");
  writeFileSync(
    join(dir, "src/deps.ts"),
    `${imports.join("\n")}\n\nexport const modules: unknown[] = [${list}];\n`,
  );

  // Every file holds one dependency test plus its share of the rest.
  const files = Math.max(4, Math.ceil(shape.tests / TESTS_PER_FILE));
  const rest = shape.tests - files;
  let next = 0;
  for (let f = 0; f < files; f++) {
    const count = Math.floor(rest / files) + (f < rest % files ? 1 : 0);
    writeFileSync(
      join(dir, `tests/tasks-${f + 1}.test.ts`),
      testFile(f + 1, count, next, shape.deps),
    );
    next += count;
  }
}
