/**
 * REST/JSON transcoding helpers: the OpenAPI 3.1 document of the
 * `google.api.http` routes that a tsgrpc server serves (`ServerOptions.rest`),
 * for tools and for writing the document at build time.
 *
 * ```ts
 * import { createOpenApiDocument } from "tsgrpc/rest";
 * import { UserService } from "./gen/users/v1/users_pb.js";
 *
 * const doc = createOpenApiDocument([UserService], { title: "Users", version: "1.0.0" });
 * ```
 *
 * @module
 */
export { createOpenApiDocument } from "./openapi.js";
export type { OpenApiOptions, OpenApiObject } from "./openapi.js";
