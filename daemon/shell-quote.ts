// Quoting for POSIX shells: used for remote commands run over ssh and for the undo commands
// restore prints, so paths with spaces or quotes stay one word.

/** `value` as one single-quoted shell word. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
