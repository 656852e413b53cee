/** Frames `payload` with `flags`. */
export function encodeFrame(payload: Uint8Array, flags: number): Uint8Array {
  const out = new Uint8Array(5 + payload.byteLength);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.byteLength);
  out.set(payload, 5);
  return out;
}
