import type { PathTemplate, TemplateSegment } from "./path-template.js";

/** A route: an HTTP method and a path template, with what it leads to. */
export interface Route<T> {
  /** Upper-case HTTP method (`GET`, or a custom rule's kind). */
  readonly httpMethod: string;
  readonly template: PathTemplate;
  readonly value: T;
}

/** A matched route, with the values of its template's variables (decoded as `google/api/http.proto` says). */
export interface RouteMatch<T> {
  readonly kind: "match";
  readonly route: Route<T>;
  /** One value per template variable, in the template's order. */
  readonly values: readonly string[];
}

/** Why a path matched nothing: no route at all, or routes for other methods only. */
export type RouteMiss = { readonly kind: "not-found" } | { readonly kind: "method-not-allowed"; readonly allow: readonly string[] } | { readonly kind: "bad-path"; readonly reason: string };

interface Node<T> {
  literals: Map<string, Node<T>> | undefined;
  wildcard: Node<T> | undefined;
  deep: Node<T> | undefined;
  /** Routes that end at this node, by verb ("" for none), then by HTTP method. */
  routes: Map<string, Map<string, Route<T>>> | undefined;
}

function newNode<T>(): Node<T> {
  return { literals: undefined, wildcard: undefined, deep: undefined, routes: undefined };
}

/**
 * The routes of a server, in a trie of path segments: a request walks it
 * once, literal segments before `*` before `**` (so `/v1/users:search`
 * wins over `/v1/{name}`), whatever the number of routes. Two routes of the
 * same method whose templates match the same paths are refused when added.
 */
export class RouteTable<T> {
  readonly #root: Node<T> = newNode();
  readonly #verbs = new Set<string>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The route already added that matches the same requests as `route` (same method, same paths), if any. */
  conflict(route: Route<T>): Route<T> | undefined {
    let node: Node<T> | undefined = this.#root;
    for (const s of route.template.segments) {
      node = s.kind === "literal" ? node.literals?.get(s.value) : s.kind === "wildcard" ? node.wildcard : node.deep;
      if (!node) return undefined;
    }
    return node.routes?.get(route.template.verb ?? "")?.get(route.httpMethod);
  }

  /** Adds `route`; throws a `TypeError` naming both routes when it conflicts with one already added. */
  add(route: Route<T>, describe: (value: T) => string): void {
    const other = this.conflict(route);
    if (other) {
      throw new TypeError(
        `conflicting HTTP routes: ${route.httpMethod} ${route.template.source} (${describe(route.value)}) matches the same paths as ${other.httpMethod} ${other.template.source} (${describe(other.value)})`,
      );
    }
    let node = this.#root;
    for (const segment of route.template.segments) node = child(node, segment);
    const verb = route.template.verb ?? "";
    const byMethod = (node.routes ??= new Map()).get(verb) ?? new Map<string, Route<T>>();
    node.routes.set(verb, byMethod);
    byMethod.set(route.httpMethod, route);
    if (verb) this.#verbs.add(verb);
    this.#size++;
  }

  /** Finds the route for `httpMethod` and `path` (the path part of a URL, no query), or says why there is none. */
  match(httpMethod: string, path: string): RouteMatch<T> | RouteMiss {
    if (path[0] !== "/") return { kind: "bad-path", reason: "the path must start with '/'" };
    const raw = path === "/" ? [] : path.slice(1).split("/");
    const last = raw.length > 0 ? raw[raw.length - 1]! : "";
    const colon = last.lastIndexOf(":");
    const allow = new Set<string>();
    // A ':' in the last segment starts a custom verb only if some route has that verb.
    if (colon >= 0 && this.#verbs.has(safeDecode(last.slice(colon + 1)) ?? "")) {
      const verb = safeDecode(last.slice(colon + 1))!;
      const trimmed = raw.slice(0, -1);
      trimmed.push(last.slice(0, colon));
      const found = this.#find(httpMethod, trimmed, verb, allow);
      if (found) return found;
    }
    const found = this.#find(httpMethod, raw, "", allow);
    if (found) return found;
    return allow.size > 0 ? { kind: "method-not-allowed", allow: [...allow].sort() } : { kind: "not-found" };
  }

  #find(httpMethod: string, raw: string[], verb: string, allow: Set<string>): RouteMatch<T> | RouteMiss | undefined {
    const decoded: (string | undefined)[] = new Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const d = safeDecode(raw[i]!);
      if (d === undefined) return { kind: "bad-path", reason: `bad percent-encoding in path segment "${raw[i]}"` };
      decoded[i] = d;
    }
    const route = walk(this.#root, decoded as string[], 0, verb, httpMethod, allow);
    if (!route) return undefined;
    const values: string[] = [];
    for (const v of route.template.variables) {
      const end = v.end < 0 ? raw.length : v.end;
      values.push(end - v.start === 1 && v.end >= 0 ? decoded[v.start]! : decodeMultiSegment(raw.slice(v.start, end)));
    }
    return { kind: "match", route, values };
  }
}

function child<T>(node: Node<T>, segment: TemplateSegment): Node<T> {
  switch (segment.kind) {
    case "literal": {
      const literals = (node.literals ??= new Map());
      let next = literals.get(segment.value);
      if (!next) literals.set(segment.value, (next = newNode()));
      return next;
    }
    case "wildcard":
      return (node.wildcard ??= newNode());
    case "deep":
      return (node.deep ??= newNode());
  }
}

/**
 * Depth-first, most specific first. Each trie node sits at one depth, so
 * it is visited at most once: the walk costs at most the size of the trie.
 */
function walk<T>(node: Node<T>, segments: string[], i: number, verb: string, httpMethod: string, allow: Set<string>): Route<T> | undefined {
  if (i === segments.length) {
    const hit = take(node, verb, httpMethod, allow);
    if (hit) return hit;
    // `**` matches zero segments too.
    return node.deep ? take(node.deep, verb, httpMethod, allow) : undefined;
  }
  const next = node.literals?.get(segments[i]!);
  if (next) {
    const hit = walk(next, segments, i + 1, verb, httpMethod, allow);
    if (hit) return hit;
  }
  // `*` matches one segment, never an empty one (`/v1/users/` is not `/v1/users/{id}` with an empty id).
  if (node.wildcard && segments[i] !== "") {
    const hit = walk(node.wildcard, segments, i + 1, verb, httpMethod, allow);
    if (hit) return hit;
  }
  return node.deep ? take(node.deep, verb, httpMethod, allow) : undefined;
}

function take<T>(node: Node<T>, verb: string, httpMethod: string, allow: Set<string>): Route<T> | undefined {
  const byMethod = node.routes?.get(verb);
  if (!byMethod) return undefined;
  // A custom rule of kind "*" takes any method that no rule names.
  const hit = byMethod.get(httpMethod) ?? byMethod.get("*");
  if (!hit) for (const m of byMethod.keys()) allow.add(m);
  return hit;
}

/** Percent-decodes one segment; undefined for a malformed escape or invalid UTF-8. */
function safeDecode(s: string): string | undefined {
  if (!s.includes("%")) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** A multi-segment variable's value: decoded, except that `%2F` stays as it is (`google/api/http.proto`). */
function decodeMultiSegment(raw: string[]): string {
  return raw.map((s) => s.split(/(%2F)/i).map((p, i) => (i % 2 === 1 ? p : safeDecode(p)!)).join("")).join("/");
}
