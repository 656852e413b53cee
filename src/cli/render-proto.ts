import { ScalarType, type DescEnum, type DescExtension, type DescField, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";

/** A descriptor written back as `.proto` source (without comments, which reflection does not carry). */
export function renderProto(desc: DescService | DescMethod | DescMessage | DescEnum | DescExtension, indent = ""): string {
  switch (desc.kind) {
    case "service":
      return `${indent}service ${desc.name} {\n${desc.methods.map((m) => renderProto(m, `${indent}  `)).join("\n")}\n${indent}}`;
    case "rpc": {
      const stream = (s: boolean) => (s ? "stream " : "");
      const clientStreams = desc.methodKind === "client_streaming" || desc.methodKind === "bidi_streaming";
      const serverStreams = desc.methodKind === "server_streaming" || desc.methodKind === "bidi_streaming";
      return `${indent}rpc ${desc.name}(${stream(clientStreams)}.${desc.input.typeName}) returns (${stream(serverStreams)}.${desc.output.typeName});`;
    }
    case "enum":
      return `${indent}enum ${desc.name} {\n${desc.values.map((v) => `${indent}  ${v.name} = ${v.number};`).join("\n")}\n${indent}}`;
    case "extension":
      return `${indent}extend .${desc.extendee.typeName} {\n${indent}  ${field(desc)}\n${indent}}`;
    case "message": {
      const lines: string[] = [];
      const inner = `${indent}  `;
      const seenOneofs = new Set<string>();
      for (const f of desc.fields) {
        const oneof = f.oneof;
        if (oneof && !f.proto.proto3Optional) {
          if (seenOneofs.has(oneof.name)) continue;
          seenOneofs.add(oneof.name);
          lines.push(`${inner}oneof ${oneof.name} {\n${oneof.fields.map((o) => `${inner}  ${field(o)}`).join("\n")}\n${inner}}`);
        } else lines.push(`${inner}${field(f)}`);
      }
      for (const m of desc.nestedMessages) if (!m.proto.options?.mapEntry) lines.push(renderProto(m, inner));
      for (const e of desc.nestedEnums) lines.push(renderProto(e, inner));
      for (const x of desc.nestedExtensions) lines.push(renderProto(x, inner));
      return `${indent}message ${desc.name} {${lines.length ? `\n${lines.join("\n")}\n${indent}` : ""}}`;
    }
  }
}

function field(f: DescField | DescExtension): string {
  let type: string;
  let label = "";
  switch (f.fieldKind) {
    case "map": {
      const value = f.mapKind === "message" ? `.${f.message.typeName}` : f.mapKind === "enum" ? `.${f.enum.typeName}` : scalarName(f.scalar);
      type = `map<${scalarName(f.mapKey)}, ${value}>`;
      break;
    }
    case "list":
      label = "repeated ";
      type = f.listKind === "message" ? `.${f.message.typeName}` : f.listKind === "enum" ? `.${f.enum.typeName}` : scalarName(f.scalar);
      break;
    default:
      type = f.fieldKind === "message" ? `.${f.message.typeName}` : f.fieldKind === "enum" ? `.${f.enum.typeName}` : scalarName(f.scalar);
      if (f.proto.proto3Optional) label = "optional ";
      else if (f.proto.label === 2) label = "required ";
      else if (f.proto.label === 1 && !f.oneof && syntaxOf(f) === "proto2") label = "optional ";
  }
  return `${label}${type} ${f.name} = ${f.number};`;
}

function syntaxOf(f: DescField | DescExtension): string {
  const file = f.kind === "extension" ? f.file : f.parent.file;
  return file.proto.syntax || "proto2";
}

function scalarName(t: ScalarType): string {
  return ScalarType[t].toLowerCase();
}
