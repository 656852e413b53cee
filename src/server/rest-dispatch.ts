import type { Registry } from "@bufbuild/protobuf";
import { Code } from "../status/code.js";
import { RpcError } from "../status/rpc-error.js";
import { parseTimeout } from "../internal/grpc-timeout.js";
import { createRestCodec, errorJson } from "../transcoding/rest-codec.js";
import { withResponseHeaders, type HttpExchange } from "../internal/transport/http-exchange.js";
import type { CorsPolicy } from "./cors.js";
import { httpStatusFromCode } from "../status/http-status.js";
import type { RestRoutes } from "../transcoding/rest-routes.js";
import { RestServerWire, type RestWireSettings } from "../transcoding/rest-server-wire.js";
import type { Router } from "./router.js";
import { ServerCall, type ServerCallSettings } from "./server-call.js";

/** What REST dispatch needs, settled in `createServer` when REST is on. */
export interface RestDispatchSettings {
  readonly routes: RestRoutes;
  readonly wire: RestWireSettings;
  /** Where the OpenAPI document is served (GET), and the document, made on first request. */
  readonly openApi: { readonly path: string; readonly document: () => string } | undefined;
}

/**
 * Answers a request that is not gRPC if it is REST: a route of a
 * `google.api.http` rule (the call then runs on a `RestServerWire`, through
 * the same `ServerCall`, interceptors and deadline as gRPC), the OpenAPI
 * document, or a JSON 404/405 for a path no rule matches. Returns false for
 * what it leaves to the caller: POST requests to no route (other protocols
 * POST too), and everything when no rule and no document is configured.
 */
export function dispatchRest(request: HttpExchange, rest: RestDispatchSettings, router: Router, call: ServerCallSettings, cors: CorsPolicy | undefined): boolean {
  // Pages of other origins read REST answers as they read gRPC-Web and Connect ones (preflights are answered before).
  const exchange = cors ? withResponseHeaders(request, cors.responseHeaders(request.headers)) : request;
  const method = exchange.method;
  const url = exchange.query ? `${exchange.path}?${exchange.query}` : exchange.path;
  if (rest.openApi && (method === "GET" || method === "HEAD") && exchange.path === rest.openApi.path) {
    exchange.respond(200, { "content-type": "application/json" });
    exchange.end(method === "HEAD" ? undefined : rest.openApi.document());
    return true;
  }
  if (rest.routes.size === 0) return false;
  const m = rest.routes.match(method, url);
  const registry = rest.wire.registry;
  switch (m.kind) {
    case "not-found":
      if (method === "POST") return false;
      refuse(exchange, registry, new RpcError(Code.NOT_FOUND, `no HTTP rule matches ${method} ${exchange.path}`));
      return true;
    case "method-not-allowed":
      refuse(exchange, registry, new RpcError(Code.UNIMPLEMENTED, `${method} is not allowed here (allowed: ${m.allow.join(", ")})`), 405, { allow: m.allow.join(", ") });
      return true;
    case "bad-path":
      refuse(exchange, registry, new RpcError(Code.INVALID_ARGUMENT, m.reason));
      return true;
  }
  const desc = m.binding.method;
  const entry = router.find(`/${desc.parent.typeName}/${desc.name}`);
  if (!entry) {
    refuse(exchange, registry, new RpcError(Code.UNIMPLEMENTED, router.explainMissing(`/${desc.parent.typeName}/${desc.name}`)));
    return true;
  }
  let timeoutMs: number | undefined;
  const timeout = exchange.headers["grpc-timeout"];
  if (timeout !== undefined) {
    timeoutMs = parseTimeout(String(timeout));
    if (timeoutMs === undefined) {
      refuse(exchange, registry, new RpcError(Code.INVALID_ARGUMENT, `malformed grpc-timeout "${String(timeout)}"`));
      return true;
    }
  }
  const codec = createRestCodec(m.binding, m.pathValues, m.query, registry);
  new ServerCall(new RestServerWire(exchange, codec, timeoutMs, desc.methodKind === "server_streaming" || desc.methodKind === "bidi_streaming", rest.wire), entry, call);
  return true;
}

function refuse(exchange: HttpExchange, registry: Registry, error: RpcError, status = httpStatusFromCode(error.code), extra: Record<string, string> = {}): void {
  exchange.body.resume();
  exchange.respond(status, { "content-type": "application/json", ...extra });
  exchange.end(JSON.stringify(errorJson(error, registry)));
}
