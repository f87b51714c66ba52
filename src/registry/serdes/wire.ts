/**
 * The Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian unsigned integer,
 * then the payload. Protobuf payloads are preceded by the message-index array that locates the
 * message type inside the schema's file: a zig-zag varint count followed by zig-zag varint indexes,
 * where the common path `[0]` (first top-level message) is written as the single byte 0 and a count
 * of 0 is read back as `[0]` (Confluent's Java `MessageIndexes`, Go `serde`, Python `SchemaId`).
 */
import { SerdeError } from './errors.js';

export const MAGIC_BYTE = 0;
/** Magic byte + 4-byte schema id. */
export const HEADER_LENGTH = 5;
/** A zig-zag varint of a 32-bit value never needs more than 5 bytes. */
const MAX_VARINT_BYTES = 5;

export interface WireHeader {
  schemaId: number;
  /** Offset of the first byte after the header (and after the message indexes, if read). */
  payloadOffset: number;
}

/**
 * Reads magic byte and schema id. Errors name the byte offset: 0 for a wrong magic byte, the
 * length of the message for a truncated header.
 */
export function readHeader(bytes: Uint8Array): WireHeader {
  if (bytes.length === 0)
    throw new SerdeError({
      reason: 'truncated',
      offset: 0,
      message: 'empty message: no magic byte at offset 0',
    });
  const magic = bytes[0];
  if (magic !== MAGIC_BYTE) {
    // Magic byte 1 is Confluent's newer GUID-prefixed format, which only the newest clients write.
    const hint = magic === 1 ? ' (1 is the schema-GUID format, not supported)' : '';
    throw new SerdeError({
      reason: 'unknown-magic-byte',
      offset: 0,
      message: `unknown magic byte 0x${magic?.toString(16).padStart(2, '0')} at offset 0, expected 0x00${hint}`,
    });
  }
  if (bytes.length < HEADER_LENGTH)
    throw new SerdeError({
      reason: 'truncated',
      offset: bytes.length,
      message: `truncated header: ${bytes.length} bytes, the schema id needs bytes 1-4 (ends at offset ${bytes.length})`,
    });
  // Big-endian unsigned 32-bit; `* 2 ** 24` instead of `<< 24` keeps ids ≥ 2^31 positive.
  const schemaId =
    (bytes[1] as number) * 0x1000000 +
    (((bytes[2] as number) << 16) | ((bytes[3] as number) << 8) | (bytes[4] as number));
  return { schemaId, payloadOffset: HEADER_LENGTH };
}

/** Writes magic byte + id into the first 5 bytes of `out`. */
export function writeHeader(out: Uint8Array, schemaId: number): void {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff)
    throw new SerdeError({
      reason: 'invalid-options',
      message: `schema id ${schemaId} is not a 32-bit unsigned integer`,
    });
  out[0] = MAGIC_BYTE;
  out[1] = (schemaId >>> 24) & 0xff;
  out[2] = (schemaId >>> 16) & 0xff;
  out[3] = (schemaId >>> 8) & 0xff;
  out[4] = schemaId & 0xff;
}

function zigzagVarintLength(value: number): number {
  let v = value * 2; // zig-zag of a non-negative value; indexes and counts are never negative
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeZigzagVarint(out: Uint8Array, pos: number, value: number): number {
  let v = value * 2;
  while (v >= 0x80) {
    out[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[pos++] = v;
  return pos;
}

/** Bytes needed for the message-index array. */
export function messageIndexesLength(indexes: readonly number[]): number {
  if (indexes.length === 1 && indexes[0] === 0) return 1;
  let n = zigzagVarintLength(indexes.length);
  for (const i of indexes) n += zigzagVarintLength(i);
  return n;
}

/** Writes the message-index array at `pos`; returns the position after it. */
export function writeMessageIndexes(out: Uint8Array, pos: number, indexes: readonly number[]): number {
  if (indexes.length === 0)
    throw new SerdeError({ reason: 'invalid-options', message: 'empty message-index path' });
  if (indexes.length === 1 && indexes[0] === 0) {
    out[pos] = 0;
    return pos + 1;
  }
  pos = writeZigzagVarint(out, pos, indexes.length);
  for (const i of indexes) pos = writeZigzagVarint(out, pos, i);
  return pos;
}

/** The message-index array alone, e.g. for tests and tools. */
export function encodeMessageIndexes(indexes: readonly number[]): Uint8Array {
  const out = new Uint8Array(messageIndexesLength(indexes));
  writeMessageIndexes(out, 0, indexes);
  return out;
}

function readZigzagVarint(bytes: Uint8Array, pos: number, what: string): [value: number, next: number] {
  const start = pos;
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= bytes.length)
      throw new SerdeError({
        reason: 'truncated',
        offset: pos,
        message: `truncated message-index array: ${what} varint starting at offset ${start} runs past the end (offset ${pos})`,
      });
    if (pos - start >= MAX_VARINT_BYTES)
      throw new SerdeError({
        reason: 'invalid-payload',
        offset: start,
        message: `message-index ${what} varint at offset ${start} is longer than ${MAX_VARINT_BYTES} bytes`,
      });
    const b = bytes[pos++] as number;
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) break;
  }
  // Zig-zag decode; a negative result can only come from corrupt bytes.
  const value = result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  if (value < 0)
    throw new SerdeError({
      reason: 'invalid-payload',
      offset: start,
      message: `message-index ${what} at offset ${start} is negative (${value})`,
    });
  return [value, pos];
}

/** Reads the message-index array at `pos`. */
export function readMessageIndexes(bytes: Uint8Array, pos: number): { indexes: number[]; next: number } {
  const countAt = pos;
  const [count, afterCount] = readZigzagVarint(bytes, pos, 'count');
  if (count === 0) return { indexes: [0], next: afterCount };
  // Each index takes at least one byte: a count larger than what is left is corruption, and
  // checking it first keeps a hostile count from allocating a huge array.
  if (count > bytes.length - afterCount)
    throw new SerdeError({
      reason: 'truncated',
      offset: countAt,
      message: `message-index count ${count} at offset ${countAt} exceeds the ${bytes.length - afterCount} bytes left`,
    });
  const indexes: number[] = [];
  let p = afterCount;
  for (let i = 0; i < count; i++) {
    const [v, next] = readZigzagVarint(bytes, p, `index ${i}`);
    indexes.push(v);
    p = next;
  }
  return { indexes, next: p };
}
