import type { Registry } from "@bufbuild/protobuf";
import { restRegistry } from "../transcoding/rest-codec.js";
import { RestRoutes } from "../transcoding/rest-routes.js";
import type { RestDispatchSettings } from "./rest-dispatch.js";

/**
 * HTTP/JSON transcoding: the server answers the `google.api.http` rules of
 * the methods it registers (`GET /v1/users/{id}` …) with the same handlers,
 * interceptors and deadlines as gRPC, over HTTP/1.1 and HTTP/2 on the same
 * port. See the README, "REST/JSON transcoding".
 */
export interface RestOptions {
  /**
   * Serves an OpenAPI 3.1 document of the routes (`createOpenApiDocument`
   * of `tsgrpc/rest`) at this path, for GET. Default: not served.
   */
  openApiPath?: string;
  /**
   * Message types that `google.protobuf.Any` fields may hold in request and
   * response JSON, besides the standard error details (which error bodies
   * can always show). Default: none.
   */
  registry?: Registry;
}

/** Checks `rest` (the `ServerOptions.rest` value) once; undefined when transcoding is off. */
export function checkRestOptions(rest: boolean | RestOptions | undefined, maxReceiveBytes: number, openApi: (settings: RestDispatchSettings) => string): RestDispatchSettings | undefined {
  if (rest === false) return undefined;
  if (rest !== undefined && rest !== true && (rest === null || typeof rest !== "object")) {
    throw new TypeError("createServer: rest must be a boolean or an object of RestOptions");
  }
  const o: RestOptions = rest === true || rest === undefined ? {} : rest;
  const path = o.openApiPath;
  if (path !== undefined && (typeof path !== "string" || !/^\/[^?#\s]*$/.test(path))) {
    throw new TypeError(`createServer: rest.openApiPath "${String(path)}" must be a path starting with '/' (no query, no spaces)`);
  }
  const settings: RestDispatchSettings = {
    routes: new RestRoutes(),
    wire: { maxReceiveBytes, registry: restRegistry(o.registry) },
    openApi: path === undefined ? undefined : { path, document: () => cached() },
  };
  // Made on first request, and again only when services add routes.
  let made: { size: number; text: string } | undefined;
  const cached = () => {
    if (made?.size !== settings.routes.size) made = { size: settings.routes.size, text: openApi(settings) };
    return made.text;
  };
  return settings;
}
