/**
 * Path templates of `google.api.http` rules (`google/api/http.proto`,
 * "Path template syntax"):
 *
 * ```
 * Template  = "/" Segments [ Verb ] ;
 * Segments  = Segment { "/" Segment } ;
 * Segment   = "*" | "**" | LITERAL | Variable ;
 * Variable  = "{" FieldPath [ "=" Segments ] "}" ;
 * FieldPath = IDENT { "." IDENT } ;
 * Verb      = ":" LITERAL ;
 * ```
 *
 * `**` matches zero or more segments and must be the last segment (before
 * the verb); a variable holds no other variable; `{var}` means `{var=*}`.
 */

/** One segment of a template: literal text (percent-decoded), `*` or `**`. */
export type TemplateSegment = { readonly kind: "literal"; readonly value: string } | { readonly kind: "wildcard" } | { readonly kind: "deep" };

/** A variable of a template: the field it sets and the segments it captures. */
export interface TemplateVariable {
  /** The field path, by proto field names: `["user", "id"]` for `{user.id}`. */
  readonly fieldPath: readonly string[];
  /** Index of the first segment it captures. */
  readonly start: number;
  /** Index after the last segment it captures; -1 when it ends with `**` (it takes the rest of the path). */
  readonly end: number;
}

/** A parsed path template. */
export interface PathTemplate {
  /** The template as written. */
  readonly source: string;
  readonly segments: readonly TemplateSegment[];
  readonly variables: readonly TemplateVariable[];
  /** The custom verb (`cancel` in `/v1/{name=operations/**}:cancel`), or undefined. */
  readonly verb: string | undefined;
}

/** A template that does not follow the grammar; the message says where and why. */
export class PathTemplateError extends TypeError {
  override name = "PathTemplateError";
}

const identStart = /[A-Za-z_]/;
const identPart = /[A-Za-z0-9_]/;
/** Characters a literal may hold: RFC 3986 pchar without `:` (the verb separator), `%` for escapes. */
const literalChar = /[A-Za-z0-9\-._~!$&'()+,;@%]/;

/** Parses `source`; throws a `PathTemplateError` naming the position and the rule it breaks. */
export function parsePathTemplate(source: string): PathTemplate {
  if (typeof source !== "string") throw new PathTemplateError("a path template must be a string");
  return new Parser(source).parse();
}

class Parser {
  readonly #src: string;
  #pos = 0;
  readonly #segments: TemplateSegment[] = [];
  readonly #variables: TemplateVariable[] = [];

  constructor(src: string) {
    this.#src = src;
  }

  parse(): PathTemplate {
    const src = this.#src;
    if (src[0] !== "/") this.#fail("must start with '/'");
    this.#pos = 1;
    // "/" alone (the root) has no segments; grpc-gateway and Envoy accept it.
    if (src.length > 1 && src[1] !== ":") this.#parseSegments(false);
    let verb: string | undefined;
    if (this.#peek() === ":") {
      this.#pos++;
      verb = this.#parseLiteral("verb");
    }
    if (this.#pos < src.length) this.#fail(`unexpected '${src[this.#pos]}'`);
    const deep = this.#segments.findIndex((s) => s.kind === "deep");
    if (deep >= 0 && deep !== this.#segments.length - 1) this.#fail("'**' must be the last segment", true);
    const seen = new Set<string>();
    for (const v of this.#variables) {
      const name = v.fieldPath.join(".");
      if (seen.has(name)) this.#fail(`the field "${name}" is bound twice`, true);
      seen.add(name);
    }
    return { source: src, segments: this.#segments, variables: this.#variables, verb };
  }

  #parseSegments(inVariable: boolean): void {
    for (;;) {
      this.#parseSegment(inVariable);
      if (this.#peek() !== "/") return;
      this.#pos++;
    }
  }

  #parseSegment(inVariable: boolean): void {
    const c = this.#peek();
    if (c === "*") {
      this.#pos++;
      if (this.#peek() === "*") {
        this.#pos++;
        this.#segments.push({ kind: "deep" });
      } else {
        this.#segments.push({ kind: "wildcard" });
      }
      return;
    }
    if (c === "{") {
      if (inVariable) this.#fail("a variable must not contain another variable");
      this.#parseVariable();
      return;
    }
    this.#segments.push({ kind: "literal", value: this.#parseLiteral("segment") });
  }

  #parseVariable(): void {
    this.#pos++; // "{"
    const fieldPath = [this.#parseIdent()];
    while (this.#peek() === ".") {
      this.#pos++;
      fieldPath.push(this.#parseIdent());
    }
    const start = this.#segments.length;
    if (this.#peek() === "=") {
      this.#pos++;
      this.#parseSegments(true);
    } else {
      this.#segments.push({ kind: "wildcard" });
    }
    if (this.#peek() !== "}") this.#fail("expected '}' to close the variable");
    this.#pos++;
    const deep = this.#segments[this.#segments.length - 1]!.kind === "deep";
    this.#variables.push({ fieldPath, start, end: deep ? -1 : this.#segments.length });
  }

  #parseIdent(): string {
    const start = this.#pos;
    const src = this.#src;
    if (!identStart.test(src[this.#pos] ?? "")) this.#fail("expected a field name");
    while (identPart.test(src[this.#pos] ?? "")) this.#pos++;
    return src.slice(start, this.#pos);
  }

  #parseLiteral(what: string): string {
    const start = this.#pos;
    const src = this.#src;
    while (this.#pos < src.length && literalChar.test(src[this.#pos]!)) this.#pos++;
    if (this.#pos === start) this.#fail(this.#pos < src.length ? `unexpected '${src[this.#pos]}' in a ${what}` : `empty ${what}`);
    const raw = src.slice(start, this.#pos);
    if (!raw.includes("%")) return raw;
    try {
      if (/%(?![0-9A-Fa-f]{2})/.test(raw)) throw new Error();
      return decodeURIComponent(raw);
    } catch {
      this.#fail(`bad percent-encoding in "${raw}"`);
    }
  }

  #peek(): string | undefined {
    return this.#src[this.#pos];
  }

  #fail(why: string, whole = false): never {
    const where = whole ? "" : ` at position ${this.#pos}`;
    throw new PathTemplateError(`path template "${this.#src}"${where}: ${why}`);
  }
}
