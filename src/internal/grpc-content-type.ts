/**
 * The subtype of a gRPC content type: `""` for `application/grpc` (with or
 * without parameters), `proto` for `application/grpc+proto`, lowercased;
 * undefined when the content type is not gRPC's at all (`application/grpc-web`
 * included).
 */
export function grpcSubtype(contentType: string): string | undefined {
  if (!contentType.startsWith("application/grpc")) return undefined;
  if (contentType.length === 16) return "";
  const next = contentType[16];
  if (next === ";") return "";
  if (next !== "+") return undefined;
  const end = contentType.indexOf(";", 17);
  return (end < 0 ? contentType.slice(17) : contentType.slice(17, end)).trim().toLowerCase();
}
