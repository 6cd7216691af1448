// Everything the hook tells the pusher goes through here, so every line starts with
// `guardrail:` and the pusher knows which hook spoke.

export type Say = (text: string) => void;

/** A writer that prefixes each line of `text` and writes it to stderr (git relays it). */
export function createSay(write: (chunk: string) => void = (c) => process.stderr.write(c)): Say {
  return (text) => {
    const lines = text.split("\n").map((line) => `guardrail: ${line}`.trimEnd());
    write(`${lines.join("\n")}\n`);
  };
}

/** Keeps the last `limit` lines of output, however much is written. */
export class OutputTail {
  private readonly lines: string[] = [];
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.limit) {
      this.lines.shift();
      this.dropped++;
    }
  }

  /** The kept lines, and how many earlier ones were dropped. */
  read(): { lines: string[]; dropped: number } {
    return { lines: [...this.lines], dropped: this.dropped };
  }
}
