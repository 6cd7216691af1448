/* global process, console */
// Generates a database shaped like a tasks app (users, projects, tasks, comments, with indexes
// and text columns) of at least `bytes` bytes, in WAL mode as an app leaves it. Deterministic:
// the same seed gives the same rows. Runs under node, for better-sqlite3.
//
//   node make-db.mjs <path> <bytes>
import Database from "better-sqlite3";

const [path, target] = process.argv.slice(2);
const targetBytes = Number(target);

// A small seeded generator, so every machine builds the same database.
let state = 0x9e3779b9;
const random = () => {
  state |= 0;
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (list) => list[Math.floor(random() * list.length)];
const syllables =
  "ka lo mi ne ru sa te vo di pa ge zu fi ho ba je ly co wen tor ash bel dri gan".split(" ");
const words = Array.from({ length: 4000 }, () =>
  Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(syllables)).join(""),
);
const sentence = (min, max) => {
  const count = min + Math.floor(random() * (max - min));
  return Array.from({ length: count }, () => pick(words)).join(" ");
};
const day = (offset) => new Date(Date.UTC(2024, 0, 1) + offset * 86_400_000).toISOString();

const db = new Database(path);
db.pragma("journal_mode = OFF");
db.pragma("synchronous = OFF");
db.exec(`
  CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    created_at TEXT NOT NULL);
  CREATE TABLE projects (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL REFERENCES users (id),
    name TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE TABLE tasks (id INTEGER PRIMARY KEY, project INTEGER NOT NULL REFERENCES projects (id),
    title TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, priority INTEGER NOT NULL,
    due_at TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE INDEX tasks_project_status ON tasks (project, status);
  CREATE INDEX tasks_due ON tasks (due_at);
  CREATE TABLE comments (id INTEGER PRIMARY KEY, task INTEGER NOT NULL REFERENCES tasks (id),
    author INTEGER NOT NULL REFERENCES users (id), body TEXT NOT NULL, created_at TEXT NOT NULL);
  CREATE INDEX comments_task ON comments (task);
`);
const addUser = db.prepare("INSERT INTO users (email, name, created_at) VALUES (?, ?, ?)");
const addProject = db.prepare("INSERT INTO projects (owner, name, created_at) VALUES (?, ?, ?)");
const addTask = db.prepare(`INSERT INTO tasks (project, title, body, status, priority, due_at,
  created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
const addComment = db.prepare(
  "INSERT INTO comments (task, author, body, created_at) VALUES (?, ?, ?, ?)",
);
const statuses = ["open", "open", "open", "doing", "done", "done", "done", "done", "archived"];

let users = 0;
let projects = 0;
let tasks = 0;
const batch = db.transaction((count) => {
  for (let i = 0; i < count; i++) {
    if (tasks % 200 === 0) {
      users++;
      addUser.run(`user${users}@example.com`, sentence(2, 3), day(users % 700));
    }
    if (tasks % 40 === 0) {
      projects++;
      addProject.run(1 + Math.floor(random() * users), sentence(2, 5), day(projects % 700));
    }
    tasks++;
    const created = Math.floor(random() * 700);
    const task = addTask.run(
      1 + Math.floor(random() * projects),
      sentence(3, 10),
      sentence(15, 70),
      pick(statuses),
      Math.floor(random() * 5),
      random() < 0.6 ? day(created + Math.floor(random() * 60)) : null,
      day(created),
      day(created + Math.floor(random() * 30)),
    ).lastInsertRowid;
    const comments = Math.floor(random() * 4);
    for (let c = 0; c < comments; c++) {
      addComment.run(task, 1 + Math.floor(random() * users), sentence(5, 30), day(created + c));
    }
  }
});

const size = () =>
  db.pragma("page_count", { simple: true }) * db.pragma("page_size", { simple: true });
while (size() < targetBytes) batch(5_000);
db.pragma("journal_mode = WAL");
db.close();
console.log(JSON.stringify({ path, tasks, projects, users }));
