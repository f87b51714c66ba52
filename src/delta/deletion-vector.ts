/**
 * Deletion vectors (PROTOCOL.md "Deletion Vectors"): locating them (inline `i`, relative `u` with a
 * z85-encoded UUID, absolute `p`), reading them with their size and CRC-32 checked, and decoding
 * the 64-bit RoaringBitmap "portable" serialization into the set of deleted row indexes.
 *
 * The decoders are written here on purpose: the only maintained npm Roaring package (`roaring`,
 * CRoaring bindings) is a native addon that needs a compiler or a prebuilt download at install
 * time and does not read the 64-bit treemap wrapper Delta uses; z85 decoding is a dozen lines.
 * The 32-bit container format follows RoaringBitmap/RoaringFormatSpec. CRC-32 is Node's `zlib.crc32`.
 */
import { crc32 } from 'node:zlib';
import type { ObjectStore } from '../storage/index.js';
import type { DeletionVectorDescriptor } from './actions.js';
import { DeltaError } from './errors.js';

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_INDEX = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < Z85.length; i++) t[Z85.charCodeAt(i)] = i;
  return t;
})();

/** Z85 (ZeroMQ RFC 32) decoding; input length must be a multiple of 5. */
export function z85Decode(s: string): Uint8Array {
  if (s.length % 5 !== 0) throw new Error(`z85 input length ${s.length} is not a multiple of 5`);
  const out = new Uint8Array((s.length / 5) * 4);
  for (let i = 0, o = 0; i < s.length; i += 5, o += 4) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const c = s.charCodeAt(i + j);
      const d = c < 128 ? Z85_INDEX[c]! : -1;
      if (d < 0) throw new Error(`invalid z85 character ${JSON.stringify(s[i + j])}`);
      v = v * 85 + d;
    }
    if (v > 0xffffffff) throw new Error('z85 group overflows 32 bits');
    out[o] = v >>> 24;
    out[o + 1] = (v >>> 16) & 0xff;
    out[o + 2] = (v >>> 8) & 0xff;
    out[o + 3] = v & 0xff;
  }
  return out;
}

function uuidString(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Unique id of a DV within a table: what reconciliation pairs with the file path. */
export function deletionVectorId(dv: DeletionVectorDescriptor | null | undefined): string {
  if (!dv) return '';
  return `${dv.storageType}${dv.pathOrInlineDv}${dv.offset !== undefined && dv.offset !== null ? `@${dv.offset}` : ''}`;
}

/** Where a `u`/`p` DV is stored: a key relative to the table root, or an absolute URI. */
export function deletionVectorLocation(dv: DeletionVectorDescriptor): string {
  if (dv.storageType === 'p') return dv.pathOrInlineDv;
  if (dv.storageType !== 'u') throw new Error(`deletion vector storage type ${dv.storageType} has no file`);
  const encoded = dv.pathOrInlineDv;
  if (encoded.length < 20)
    throw new Error(`relative deletion vector id "${encoded}" is shorter than 20 characters`);
  const prefix = encoded.slice(0, encoded.length - 20);
  const uuid = uuidString(z85Decode(encoded.slice(-20)));
  return `${prefix ? `${prefix}/` : ''}deletion_vector_${uuid}.bin`;
}

const MAGIC = 1681511377;
const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const SERIAL_COOKIE = 12347;
const NO_OFFSET_THRESHOLD = 4;

/**
 * Decodes Delta's RoaringBitmapArray (magic, then the 64-bit portable format: bucket count, then per
 * bucket its high 32 bits and a 32-bit portable Roaring bitmap) into sorted row indexes.
 * Row indexes fit in a double: Parquet files with more than 2^53 rows do not exist.
 */
export function decodeRoaringBitmapArray(bytes: Uint8Array): Float64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > bytes.byteLength) throw new Error(`bitmap truncated at byte ${pos} (needs ${n} more)`);
  };
  need(4);
  const magic = view.getInt32(0, true);
  if (magic !== MAGIC) throw new Error(`bad deletion vector magic ${magic}`);
  pos = 4;
  need(8);
  const buckets = view.getBigUint64(pos, true);
  pos += 8;
  if (buckets > 0xffffffffn) throw new Error(`implausible bucket count ${buckets}`);
  const chunks: number[][] = [];
  let total = 0;
  let lastHigh = -1;
  for (let b = 0; b < Number(buckets); b++) {
    need(4);
    const high = view.getUint32(pos, true);
    pos += 4;
    if (high <= lastHigh) throw new Error('bitmap buckets out of order');
    lastHigh = high;
    const values: number[] = [];
    pos = decodeRoaring32(view, pos, (low) => values.push(high * 2 ** 32 + low));
    chunks.push(values);
    total += values.length;
  }
  const out = new Float64Array(total);
  let o = 0;
  for (const c of chunks) for (const v of c) out[o++] = v;
  return out;
}

function decodeRoaring32(view: DataView, start: number, emit: (v: number) => void): number {
  let pos = start;
  const need = (n: number): void => {
    if (pos + n > view.byteLength) throw new Error(`roaring bitmap truncated at byte ${pos}`);
  };
  need(4);
  const cookie = view.getUint32(pos, true);
  pos += 4;
  let size: number;
  let runFlags: Uint8Array | undefined;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    size = (cookie >>> 16) + 1;
    const n = Math.ceil(size / 8);
    need(n);
    runFlags = new Uint8Array(view.buffer, view.byteOffset + pos, n);
    pos += n;
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    need(4);
    size = view.getUint32(pos, true);
    pos += 4;
  } else {
    throw new Error(`bad roaring cookie ${cookie}`);
  }
  if (size > 65536) throw new Error(`roaring container count ${size} exceeds 65536`);
  need(size * 4);
  const keys = new Uint16Array(size);
  const cards = new Uint32Array(size);
  for (let i = 0; i < size; i++) {
    keys[i] = view.getUint16(pos, true);
    cards[i] = view.getUint16(pos + 2, true) + 1;
    pos += 4;
  }
  // The offset header is redundant with sequential decoding; skip it when present.
  if (!runFlags || size >= NO_OFFSET_THRESHOLD) {
    need(size * 4);
    pos += size * 4;
  }
  for (let i = 0; i < size; i++) {
    const base = keys[i]! << 16;
    const isRun = runFlags ? (runFlags[i >> 3]! >> (i & 7)) & 1 : 0;
    if (isRun) {
      need(2);
      const runs = view.getUint16(pos, true);
      pos += 2;
      need(runs * 4);
      for (let r = 0; r < runs; r++) {
        const s = view.getUint16(pos, true);
        const len = view.getUint16(pos + 2, true);
        pos += 4;
        for (let v = s; v <= s + len; v++) emit(base + v);
      }
    } else if (cards[i]! <= 4096) {
      need(cards[i]! * 2);
      for (let j = 0; j < cards[i]!; j++) emit(base + view.getUint16(pos + j * 2, true));
      pos += cards[i]! * 2;
    } else {
      need(8192);
      for (let w = 0; w < 2048; w++) {
        let word = view.getUint32(pos + w * 4, true);
        while (word !== 0) {
          const bit = 31 - Math.clz32(word & -word);
          emit(base + w * 32 + bit);
          word &= word - 1;
        }
      }
      pos += 8192;
    }
  }
  return pos;
}

/**
 * Loads and decodes one deletion vector into sorted deleted-row indexes. For stored DVs the
 * declared size must match the size field in the file and the CRC-32 must match the bytes;
 * the cardinality must match the decoded count. Any mismatch is `CorruptDeletionVector`.
 */
export async function loadDeletionVector(
  store: ObjectStore,
  dv: DeletionVectorDescriptor,
  ctx: { table: string; dataFile: string; version?: number; signal?: AbortSignal },
): Promise<Float64Array> {
  const fail = (msg: string, file?: string, cause?: unknown): DeltaError =>
    new DeltaError({
      code: 'CorruptDeletionVector',
      message: `deletion vector of ${ctx.dataFile}${file ? ` in ${file}` : ''} (table ${ctx.table}): ${msg}`,
      table: ctx.table,
      ...(ctx.version !== undefined ? { version: ctx.version } : {}),
      file: file ?? ctx.dataFile,
      ...(cause !== undefined ? { cause } : {}),
    });
  let bitmap: Uint8Array;
  let file: string | undefined;
  if (dv.storageType === 'i') {
    try {
      bitmap = z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes);
    } catch (e) {
      throw fail(`inline data is not z85: ${(e as Error).message}`, undefined, e);
    }
  } else if (dv.storageType === 'u' || dv.storageType === 'p') {
    let key: string;
    try {
      key = deletionVectorLocation(dv);
    } catch (e) {
      throw fail((e as Error).message, undefined, e);
    }
    if (dv.storageType === 'p') key = keyInStore(store, key) ?? key;
    file = key;
    const offset = dv.offset ?? 1;
    let framed: Uint8Array;
    try {
      framed = await store.get(key, {
        range: { offset, length: dv.sizeInBytes + 8 },
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
    } catch (e) {
      throw fail(`cannot read ${key}: ${(e as Error).message}`, key, e);
    }
    if (framed.byteLength !== dv.sizeInBytes + 8)
      throw fail(`file is shorter than offset ${offset} + ${dv.sizeInBytes} + 8 bytes`, key);
    const view = new DataView(framed.buffer, framed.byteOffset, framed.byteLength);
    const size = view.getInt32(0, false);
    if (size !== dv.sizeInBytes)
      throw fail(`size field says ${size} bytes but the log says ${dv.sizeInBytes}`, key);
    bitmap = framed.subarray(4, 4 + size);
    const expected = view.getUint32(4 + size, false);
    const actual = crc32(bitmap) >>> 0;
    if (expected !== actual) throw fail(`checksum mismatch (stored ${expected}, computed ${actual})`, key);
  } else {
    throw fail(`unknown storage type "${String((dv as { storageType: unknown }).storageType)}"`);
  }
  let rows: Float64Array;
  try {
    rows = decodeRoaringBitmapArray(bitmap);
  } catch (e) {
    throw fail((e as Error).message, file, e);
  }
  if (rows.length !== dv.cardinality)
    throw fail(`decoded ${rows.length} rows but cardinality is ${dv.cardinality}`, file);
  return rows;
}

/** Maps an absolute URI onto a key of `store` when it lies under the store's root. */
export function keyInStore(store: ObjectStore, uri: string): string | undefined {
  const root = store.url.endsWith('/') ? store.url : `${store.url}/`;
  const normalized = uri.replace(/^s3a:\/\//, 's3://').replace(/^file:\/(?!\/)/, 'file:///');
  if (normalized.startsWith(root)) return decodeURIComponent(normalized.slice(root.length));
  return undefined;
}
