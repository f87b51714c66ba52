/**
 * Short ASCII strings decoded in JavaScript, for the Avro and Protobuf decoders. Profiles of both
 * showed string decoding among the largest items for records of short strings, where the cost is
 * per call (Node's native `utf8Slice`, or protobufjs's length read and UTF-8 reader), not per byte.
 * Anything else is left to the caller's decoder, so invalid UTF-8 and long strings are handled
 * exactly as before.
 */

/** Longest string decoded here; past this the native decoders' per-call cost no longer dominates. */
export const SHORT_STRING = 32;

/** `buf[start..end)` as a string if all bytes are ASCII, else undefined. */
export function asciiString(buf: Uint8Array, start: number, end: number): string | undefined {
  let s = '';
  let i = start;
  for (; i + 7 < end; i += 8) {
    const c1 = buf[i] as number;
    const c2 = buf[i + 1] as number;
    const c3 = buf[i + 2] as number;
    const c4 = buf[i + 3] as number;
    const c5 = buf[i + 4] as number;
    const c6 = buf[i + 5] as number;
    const c7 = buf[i + 6] as number;
    const c8 = buf[i + 7] as number;
    if ((c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8) & 0x80) return undefined;
    s += String.fromCharCode(c1, c2, c3, c4, c5, c6, c7, c8);
  }
  for (; i < end; i++) {
    const c = buf[i] as number;
    if (c & 0x80) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}
