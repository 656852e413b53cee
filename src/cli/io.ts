/** Where a command reads and writes: the process's streams, or a test's. */
export interface Io {
  readonly stdin: NodeJS.ReadableStream;
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal (a live progress line is worth drawing). */
  readonly interactive: boolean;
}

export function processIo(): Io {
  return {
    stdin: process.stdin,
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    interactive: process.stderr.isTTY === true,
  };
}
