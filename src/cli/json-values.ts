/**
 * Splits a stream of text into the JSON values it holds, one after another
 * (objects, arrays, strings, numbers, literals, separated by whitespace or
 * nothing at all), as soon as each is complete: `{"a":1} {"a":2}`.
 * Values are delimited here, not parsed.
 */
export class JsonValueSplitter {
  #buffer = "";
  #pos = 0;
  #start = -1;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #scalar = false;

  /** Adds text; returns the values it completed. */
  push(text: string): string[] {
    this.#buffer += text;
    const out: string[] = [];
    let i = this.#pos;
    while (i < this.#buffer.length) {
      const c = this.#buffer[i]!;
      let end = -1;
      if (this.#start < 0) {
        if (!isSpace(c)) {
          this.#start = i;
          this.#scalar = c !== "{" && c !== "[" && c !== '"';
          this.#inString = c === '"';
          this.#depth = c === "{" || c === "[" ? 1 : 0;
        }
      } else if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === "\\") this.#escaped = true;
        else if (c === '"') {
          this.#inString = false;
          if (this.#depth === 0) end = i + 1;
        }
      } else if (this.#scalar) {
        if (isSpace(c) || c === "{" || c === "[" || c === '"') end = i;
      } else if (c === '"') this.#inString = true;
      else if (c === "{" || c === "[") this.#depth++;
      else if ((c === "}" || c === "]") && --this.#depth === 0) end = i + 1;
      if (end >= 0) {
        out.push(this.#buffer.slice(this.#start, end));
        this.#buffer = this.#buffer.slice(end);
        this.#start = -1;
        i = 0;
        continue;
      }
      i++;
    }
    this.#pos = i;
    if (this.#start < 0) {
      this.#buffer = "";
      this.#pos = 0;
    }
    return out;
  }

  /** Ends the input: returns a last scalar, or throws if a value is left unfinished. */
  end(): string[] {
    if (this.#start < 0) return [];
    const rest = this.#buffer.slice(this.#start);
    this.#buffer = "";
    this.#pos = 0;
    this.#start = -1;
    if (this.#scalar) return [rest];
    throw new SyntaxError(`the input ends inside a JSON value: ${JSON.stringify(rest.slice(0, 60))}`);
  }
}

function isSpace(c: string): boolean {
  return c === " " || c === "\n" || c === "\r" || c === "\t";
}
