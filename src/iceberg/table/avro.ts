/**
 * Avro object container files (Avro spec "Object Container Files") for manifests and manifest
 * lists, on `avsc` types. Records are decoded with the writer schema found in the file header, so
 * v1 and v2 manifests written by Java, PyIceberg or lakekit all read the same way. Avro `long`s are
 * decoded as `bigint`, since snapshot ids use all 64 bits. Codecs: null, deflate, zstandard.
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync, zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import avro from 'avsc';
import { protocolError } from './errors.js';

const MAGIC = Buffer.from('Obj\x01', 'latin1');

/** Avro long ↔ bigint, so no 64-bit id loses precision. */
const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as string),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint' || (typeof n === 'number' && Number.isInteger(n)),
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

const headerMeta = avro.Type.forSchema({ type: 'map', values: 'bytes' });

/**
 * Built types by schema JSON. Building an avsc type generates and compiles reader/writer code; the
 * profile of a 1000-row append showed it as the largest single cost (≈4 ms of ≈15 ms CPU), paid
 * again for every manifest and manifest list read or written, though a table uses a handful of
 * schemas. Types are immutable once built, so sharing them is safe; the map is bounded.
 */
const typeCache = new Map<string, avro.Type>();
const TYPE_CACHE_MAX = 64;

function typeFor(schemaJson: string, schema: unknown = JSON.parse(schemaJson)): avro.Type {
  let t = typeCache.get(schemaJson);
  if (!t) {
    t = avro.Type.forSchema(
      schema as avro.Schema,
      { registry: { long: bigLong }, wrapUnions: false } as never,
    );
    if (typeCache.size >= TYPE_CACHE_MAX) typeCache.delete(typeCache.keys().next().value as string);
    typeCache.set(schemaJson, t);
  }
  return t;
}

export function avroType(schema: unknown): avro.Type {
  return typeFor(JSON.stringify(schema), schema);
}

export interface AvroFile {
  /** Header metadata as text (Iceberg writes JSON and numbers as strings there). */
  meta: Record<string, string>;
  schema: unknown;
  records: Record<string, unknown>[];
}

/** Reads a whole container file; `file` names it in errors. */
export function readAvroFile(bytes: Uint8Array, file: string): AvroFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC))
    throw protocolError('NotAvro', `${file}: not an Avro object container file (bad magic bytes)`);
  try {
    const { value: metaRaw, offset: afterMeta } = headerMeta.decode(buf, 4);
    if (afterMeta < 0) throw new Error('truncated header');
    const meta: Record<string, string> = {};
    for (const [k, v] of Object.entries(metaRaw as Record<string, Buffer>)) meta[k] = v.toString('utf8');
    const sync = buf.subarray(afterMeta, afterMeta + 16);
    if (sync.length !== 16) throw new Error('truncated header');
    const codec = meta['avro.codec'] ?? 'null';
    const schemaJson = meta['avro.schema'] ?? 'null';
    const schema = JSON.parse(schemaJson);
    const type = typeFor(schemaJson, schema);
    const records: Record<string, unknown>[] = [];
    let pos = afterMeta + 16;
    while (pos < buf.length) {
      const c = bigLong.decode(buf, pos);
      const s = bigLong.decode(buf, c.offset);
      if (c.offset < 0 || s.offset < 0) throw new Error('truncated block header');
      const count = Number(c.value);
      const size = Number(s.value);
      const start = s.offset;
      const end = start + size;
      if (end + 16 > buf.length) throw new Error('truncated block');
      let data = buf.subarray(start, end);
      if (codec === 'deflate') data = inflateRawSync(data);
      else if (codec === 'zstandard') data = zstdDecompressSync(data);
      else if (codec !== 'null') throw new Error(`unsupported codec ${codec}`);
      let p = 0;
      for (let i = 0; i < count; i++) {
        const r = type.decode(data, p);
        if (r.offset < 0) throw new Error('truncated record');
        records.push(r.value as Record<string, unknown>);
        p = r.offset;
      }
      if (!buf.subarray(end, end + 16).equals(sync)) throw new Error('sync marker mismatch');
      pos = end + 16;
    }
    return { meta, schema, records };
  } catch (e) {
    if (e instanceof Error && 'kind' in e) throw e;
    throw protocolError('MalformedAvro', `${file}: cannot read Avro container (${(e as Error).message})`, e);
  }
}

/** Writes a container file in one block (manifests are small; Java also writes few large blocks). */
export function writeAvroFile(
  schema: unknown,
  records: unknown[],
  meta: Record<string, string>,
  codec: 'null' | 'deflate' | 'zstandard' = 'deflate',
): Uint8Array {
  const schemaJson = JSON.stringify(schema);
  const type = typeFor(schemaJson, schema);
  const metaBufs: Record<string, Buffer> = {
    'avro.schema': Buffer.from(schemaJson),
    'avro.codec': Buffer.from(codec),
  };
  for (const [k, v] of Object.entries(meta)) metaBufs[k] = Buffer.from(v);
  const sync = randomBytes(16);
  const parts: Buffer[] = [MAGIC, headerMeta.toBuffer(metaBufs), sync];
  if (records.length > 0) {
    let body = Buffer.concat(records.map((r) => type.toBuffer(r)));
    if (codec === 'deflate') body = deflateRawSync(body);
    else if (codec === 'zstandard') body = zstdCompressSync(body);
    parts.push(bigLong.toBuffer(BigInt(records.length)), bigLong.toBuffer(BigInt(body.length)), body, sync);
  }
  const out = Buffer.concat(parts);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
