// The demo's voice: numbered sections, one line per action, indented program output.
const tty = process.stdout.isTTY === true;
const bold = (text: string) => (tty ? `\x1b[1m${text}\x1b[22m` : text);
const dim = (text: string) => (tty ? `\x1b[2m${text}\x1b[22m` : text);

/** A section heading: `== 2. Backups of a live database ==`. */
export function section(title: string): void {
  process.stdout.write(`\n${bold(`== ${title} ==`)}\n`);
}

/** What the demo is about to do, or the command it runs. */
export function step(text: string): void {
  process.stdout.write(`\n-> ${text}\n`);
}

/** A program's output, indented so it stands apart from the demo's own lines. */
export function show(output: string, options: { maxLines?: number } = {}): void {
  // trimEnd: git pads `remote:` lines with spaces to overwrite progress output.
  let lines = output
    .replace(/\s+$/, "")
    .split("\n")
    .map((line) => line.trimEnd());
  const max = options.maxLines ?? 60;
  if (lines.length > max) {
    const hidden = lines.length - max;
    lines = [...lines.slice(0, max), dim(`... (${hidden} more lines)`)];
  }
  for (const line of lines) process.stdout.write(`   ${dim("|")} ${line}\n`);
}

/** An expected outcome that happened. */
export function ok(text: string): void {
  process.stdout.write(`${bold("OK")} ${text}\n`);
}

/** A remark for the reader (not a program's output). */
export function note(text: string): void {
  process.stdout.write(`   ${dim(text)}\n`);
}

/** A step that did not do what the demo expects: the demo stops and says which. */
export class DemoError extends Error {
  constructor(message: string, options?: { cause?: unknown; output?: string }) {
    super(message, { cause: options?.cause });
    this.name = "DemoError";
    this.output = options?.output;
  }
  readonly output: string | undefined;
}
