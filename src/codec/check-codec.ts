import type { Codec } from "./codec.js";

/** Validates a codec given as an option (once, at construction): a TypeError names what is wrong. */
export function checkCodec(codec: Codec, where: string): Codec {
  if (!codec || typeof codec.name !== "string" || typeof codec.encode !== "function" || typeof codec.decode !== "function") {
    throw new TypeError(`${where}: a codec must be a Codec (name, encode, decode)`);
  }
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(codec.name)) throw new TypeError(`${where}: codec name "${codec.name}" is not a lowercase content subtype`);
  return codec;
}
