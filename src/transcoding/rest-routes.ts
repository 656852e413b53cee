import type { DescService } from "@bufbuild/protobuf";
import { httpBindings, type HttpBinding } from "./http-rule.js";
import { RouteTable, type RouteMiss } from "./route-table.js";

/** A request that found its binding: the values of the path variables and the raw query string (without `?`). */
export interface RestMatch {
  readonly kind: "match";
  readonly binding: HttpBinding;
  readonly pathValues: readonly string[];
  readonly query: string;
}

/**
 * The HTTP routes of a server's services, from their `google.api.http`
 * annotations. `add` checks every rule and every route against the others
 * and throws a `TypeError` before changing anything, so a bad annotation or
 * a conflict is a start-up error, never a surprise at request time.
 */
export class RestRoutes {
  readonly #table = new RouteTable<HttpBinding>();

  /** How many bindings are routed. */
  get size(): number {
    return this.#table.size;
  }

  add(service: DescService): void {
    this.prepare(service)();
  }

  /**
   * Checks the rules of `service` and their routes (among themselves and
   * against the table) without adding them; returns what adds them. Throws
   * a `TypeError` for a bad rule or a conflict.
   */
  prepare(service: DescService): () => void {
    const bindings = service.methods.flatMap((m) => httpBindings(m));
    const describe = (b: HttpBinding) => `${b.method.parent.typeName}.${b.method.name}`;
    const route = (b: HttpBinding) => ({ httpMethod: b.httpMethod, template: b.template, value: b });
    const trial = new RouteTable<HttpBinding>();
    for (const b of bindings) {
      trial.add(route(b), describe);
      if (this.#table.conflict(route(b))) this.#table.add(route(b), describe); // throws, naming both routes
    }
    return () => {
      for (const b of bindings) this.#table.add(route(b), describe);
    };
  }

  /** The binding for `httpMethod` and `url` (path and query, as in an HTTP request line), or why there is none. */
  match(httpMethod: string, url: string): RestMatch | RouteMiss {
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const hash = path.indexOf("#");
    const m = this.#table.match(httpMethod.toUpperCase(), hash < 0 ? path : path.slice(0, hash));
    if (m.kind !== "match") return m;
    return { kind: "match", binding: m.route.value, pathValues: m.values, query: q < 0 ? "" : url.slice(q + 1) };
  }
}
