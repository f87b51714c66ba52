/**
 * Writing data files (spec "Writing data files", Appendix A Parquet): caller data — an Arrow table
 * or row objects — is checked against the table schema (names, types, required columns), split by
 * partition (the default spec's transforms), written as Parquet by parquet-wasm with the field ids
 * in the Parquet schema, and described by `DataFile`s carrying value/null/NaN counts and
 * lower/upper bounds in the single-value binary form (truncated to 16 characters or bytes, as
 * Java's and PyIceberg's default `truncate(16)` metrics mode does).
 */
import { randomUUID } from 'node:crypto';
import {
  Table as ArrowTable,
  type Data,
  makeData,
  RecordBatch,
  Struct,
  type Table,
  Type,
  tableToIPC,
  type Vector,
} from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { buildColumn, schemaToArrow, valueReader } from './arrow.js';
import { validationError } from './errors.js';
import { type FileIO, settleWrites } from './io.js';
import { type DataFile, FileContent } from './manifest.js';
import { type PartitionSpec, partitionType } from './metadata.js';
import { applyTransform, toHumanString } from './transforms.js';
import {
  type IcebergType,
  indexById,
  isPrimitive,
  type NestedField,
  type PrimitiveType,
  type Schema,
  typeToString,
} from './types.js';
import { compareValues, type IcebergValue, serializeValue } from './values.js';

// ---------------------------------------------------------------------------------------------
// Row selection (Arrow JS has no take kernel).

function bitAt(bm: Uint8Array | undefined, i: number): boolean {
  return !bm || bm.length === 0 || ((bm[i >> 3] as number) & (1 << (i & 7))) !== 0;
}

/**
 * Rows `idx` of `d`, as new offset-0 data (recursively for nested types). Arrow JS keeps `offset`
 * only for validity bitmaps and boolean bits; value buffers, value offsets and struct children are
 * sliced along with the data.
 */
export function takeData(d: Data, idx: ArrayLike<number>): Data {
  const n = idx.length;
  const off = d.offset;
  let nullCount = 0;
  let nullBitmap: Uint8Array | undefined;
  if (d.nullCount !== 0 && d.nullBitmap && d.nullBitmap.length > 0) {
    nullBitmap = new Uint8Array(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) {
      if (bitAt(d.nullBitmap, off + (idx[i] as number)))
        nullBitmap[i >> 3] = (nullBitmap[i >> 3] as number) | (1 << (i & 7));
      else nullCount++;
    }
  }
  const base = { type: d.type, length: n, nullCount, nullBitmap } as const;
  switch (d.type.typeId) {
    case Type.Bool: {
      const bits = new Uint8Array(Math.ceil(n / 8));
      for (let i = 0; i < n; i++)
        if (bitAt(d.values as Uint8Array, off + (idx[i] as number)))
          bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
      return makeData({ ...base, data: bits } as never);
    }
    case Type.Int:
    case Type.Float:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Decimal:
    case Type.FixedSizeBinary: {
      const vals = d.values as Uint8Array;
      const stride =
        d.type.typeId === Type.FixedSizeBinary
          ? (d.type as unknown as { byteWidth: number }).byteWidth
          : d.stride;
      const Ctor = vals.constructor as new (n: number) => Uint8Array;
      const out = new Ctor(n * stride);
      for (let i = 0; i < n; i++) {
        const s = (idx[i] as number) * stride;
        out.set(vals.subarray(s, s + stride), i * stride);
      }
      return makeData({ ...base, data: out } as never);
    }
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const offs = d.valueOffsets as Int32Array | BigInt64Array;
      const big = offs instanceof BigInt64Array;
      const newOffs = big ? new BigInt64Array(n + 1) : new Int32Array(n + 1);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const r = idx[i] as number;
        total += Number(offs[r + 1]) - Number(offs[r]);
        newOffs[i + 1] = big ? BigInt(total) : (total as never);
      }
      const bytes = new Uint8Array(total);
      let pos = 0;
      const src = d.values as Uint8Array;
      for (let i = 0; i < n; i++) {
        const r = idx[i] as number;
        const a = Number(offs[r]);
        const b = Number(offs[r + 1]);
        bytes.set(src.subarray(a, b), pos);
        pos += b - a;
      }
      return makeData({ ...base, valueOffsets: newOffs, data: bytes } as never);
    }
    case Type.Struct:
      return makeData({
        ...base,
        children: d.children.map((c) => takeData(c, idx)),
      } as never);
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const offs = d.valueOffsets as Int32Array | BigInt64Array;
      const big = offs instanceof BigInt64Array;
      const newOffs = big ? new BigInt64Array(n + 1) : new Int32Array(n + 1);
      const childIdx: number[] = [];
      for (let i = 0; i < n; i++) {
        const r = idx[i] as number;
        for (let k = Number(offs[r]); k < Number(offs[r + 1]); k++) childIdx.push(k);
        newOffs[i + 1] = big ? BigInt(childIdx.length) : (childIdx.length as never);
      }
      return makeData({
        ...base,
        valueOffsets: newOffs,
        child: takeData(d.children[0] as Data, childIdx),
      } as never);
    }
    default:
      throw validationError('UnsupportedType', `cannot select rows of Arrow type ${String(d.type)}`);
  }
}

export function takeBatch(b: RecordBatch, idx: ArrayLike<number>): RecordBatch {
  const children = b.schema.fields.map((_, i) => takeData(b.getChildAt(i)?.data[0] as Data, idx));
  return new RecordBatch(
    b.schema,
    makeData({ type: new Struct(b.schema.fields), length: idx.length, nullCount: 0, children }),
  );
}

/** One batch holding all rows of a table (single-chunk columns, as takeData needs). */
export function combineBatches(t: Table): RecordBatch {
  if (t.batches.length === 1) return t.batches[0] as RecordBatch;
  const children: Data[] = t.schema.fields.map((_, i) => {
    const col = t.getChildAt(i) as Vector;
    const parts = col.data;
    if (parts.length === 1) return parts[0] as Data;
    return concatData(parts);
  });
  return new RecordBatch(
    t.schema,
    makeData({ type: new Struct(t.schema.fields), length: t.numRows, nullCount: 0, children }),
  );
}

function concatData(parts: readonly Data[]): Data {
  // Re-base every chunk to offset 0 (a full take), then stitch buffers together.
  return mergeTaken(
    parts.map((p) =>
      takeData(
        p,
        Array.from({ length: p.length }, (_, i) => i),
      ),
    ),
  );
}

function mergeTaken(pieces: Data[]): Data {
  const first = pieces[0] as Data;
  const length = pieces.reduce((s, p) => s + p.length, 0);
  const nullCount = pieces.reduce((s, p) => s + p.nullCount, 0);
  let nullBitmap: Uint8Array | undefined;
  if (nullCount > 0) {
    nullBitmap = new Uint8Array(Math.ceil(length / 8));
    let o = 0;
    for (const p of pieces) {
      for (let i = 0; i < p.length; i++)
        if (bitAt(p.nullBitmap, i))
          nullBitmap[(o + i) >> 3] = (nullBitmap[(o + i) >> 3] as number) | (1 << ((o + i) & 7));
      o += p.length;
    }
  }
  const base = { type: first.type, length, nullCount, nullBitmap } as const;
  switch (first.type.typeId) {
    case Type.Bool: {
      const bits = new Uint8Array(Math.ceil(length / 8));
      let o = 0;
      for (const p of pieces) {
        for (let i = 0; i < p.length; i++)
          if (bitAt(p.values as Uint8Array, i))
            bits[(o + i) >> 3] = (bits[(o + i) >> 3] as number) | (1 << ((o + i) & 7));
        o += p.length;
      }
      return makeData({ ...base, data: bits } as never);
    }
    case Type.Struct:
      return makeData({
        ...base,
        children: first.children.map((_, k) => mergeTaken(pieces.map((p) => p.children[k] as Data))),
      } as never);
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary:
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const big = first.valueOffsets instanceof BigInt64Array;
      const offs = big ? new BigInt64Array(length + 1) : new Int32Array(length + 1);
      let o = 0;
      let shift = 0;
      for (const p of pieces) {
        const po = p.valueOffsets as Int32Array | BigInt64Array;
        for (let i = 1; i <= p.length; i++)
          offs[o + i] = big ? BigInt(Number(po[i]) + shift) : ((Number(po[i]) + shift) as never);
        o += p.length;
        shift += Number(po[p.length]);
      }
      if (
        first.type.typeId === Type.Utf8 ||
        first.type.typeId === Type.Binary ||
        first.type.typeId === Type.LargeUtf8 ||
        first.type.typeId === Type.LargeBinary
      ) {
        const bytes = new Uint8Array(shift);
        let pos = 0;
        for (const p of pieces) {
          const po = p.valueOffsets as Int32Array | BigInt64Array;
          const len = Number(po[p.length]);
          bytes.set((p.values as Uint8Array).subarray(0, len), pos);
          pos += len;
        }
        return makeData({ ...base, valueOffsets: offs, data: bytes } as never);
      }
      return makeData({
        ...base,
        valueOffsets: offs,
        child: mergeTaken(pieces.map((p) => p.children[0] as Data)),
      } as never);
    }
    default: {
      const Ctor = (first.values as Uint8Array).constructor as new (n: number) => Uint8Array;
      const stride =
        first.type.typeId === Type.FixedSizeBinary
          ? (first.type as unknown as { byteWidth: number }).byteWidth
          : first.stride;
      const out = new Ctor(length * stride);
      let o = 0;
      for (const p of pieces) {
        out.set((p.values as Uint8Array).subarray(0, p.length * stride), o * stride);
        o += p.length;
      }
      return makeData({ ...base, data: out } as never);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Caller data → one Arrow batch in the table's Arrow schema.

export type WriteInput = Table | RecordBatch | Record<string, unknown>[];

function arrowCompatible(d: Data, t: IcebergType): boolean {
  const id = d.type.typeId;
  if (!isPrimitive(t)) {
    if (t.type === 'struct') return id === Type.Struct;
    if (t.type === 'list') return id === Type.List || id === Type.LargeList;
    return id === Type.Map;
  }
  switch (t) {
    case 'boolean':
      return id === Type.Bool;
    case 'int':
      return id === Type.Int && (d.type as unknown as { bitWidth: number }).bitWidth <= 32;
    case 'long':
      return id === Type.Int;
    case 'float':
      return id === Type.Float && (d.type as unknown as { precision: number }).precision <= 1;
    case 'double':
      return id === Type.Float;
    case 'date':
      return id === Type.Date && (d.type as unknown as { unit: number }).unit === 0;
    case 'time':
      return id === Type.Time;
    case 'timestamp':
    case 'timestamp_ns':
      return id === Type.Timestamp && !(d.type as unknown as { timezone?: string | null }).timezone;
    case 'timestamptz':
    case 'timestamptz_ns':
      return id === Type.Timestamp && !!(d.type as unknown as { timezone?: string | null }).timezone;
    case 'string':
      return id === Type.Utf8 || id === Type.LargeUtf8;
    case 'binary':
      return id === Type.Binary || id === Type.LargeBinary;
    case 'uuid':
      return id === Type.FixedSizeBinary && (d.type as unknown as { byteWidth: number }).byteWidth === 16;
  }
  if (t.startsWith('fixed')) return id === Type.FixedSizeBinary;
  if (t.startsWith('decimal')) return id === Type.Decimal;
  return false;
}

/**
 * Converts caller data to one batch with exactly the table's columns (Arrow schema from the
 * Iceberg schema, field ids attached). Missing optional columns become nulls; extra columns,
 * missing required columns, nulls in required columns and incompatible types are errors that name
 * the column.
 */
export async function toTableBatch(input: WriteInput, schema: Schema): Promise<RecordBatch> {
  const arrowSchema = schemaToArrow(schema);
  if (Array.isArray(input)) {
    const known = new Set(schema.fields.map((f) => f.name));
    input.forEach((r, i) => {
      for (const k of Object.keys(r))
        if (!known.has(k))
          throw validationError(
            'SchemaMismatch',
            `row ${i} has column ${JSON.stringify(k)}, which the table does not have`,
          );
    });
    const children = schema.fields.map((f) =>
      buildColumn(
        f,
        input.map((r) => r[f.name] ?? null),
      ),
    );
    return new RecordBatch(
      arrowSchema,
      makeData({ type: new Struct(arrowSchema.fields), length: input.length, nullCount: 0, children }),
    );
  }
  const batch = input instanceof RecordBatch ? input : combineBatches(input);
  const names = batch.schema.fields.map((f) => f.name);
  for (const n of names)
    if (!schema.fields.some((f) => f.name === n))
      throw validationError('SchemaMismatch', `input column ${JSON.stringify(n)} is not in the table schema`);
  const { conformForWrite } = await import('./read.js');
  const children = schema.fields.map((f) => {
    const i = names.indexOf(f.name);
    if (i < 0) {
      if (f.required)
        throw validationError('SchemaMismatch', `required column ${f.name} is missing from the input`);
      return buildColumn({ ...f, required: false }, new Array(batch.numRows).fill(null));
    }
    const d = batch.getChildAt(i)?.data[0] as Data;
    if (!arrowCompatible(d, f.type))
      throw validationError(
        'SchemaMismatch',
        `column ${f.name}: input type ${String(d.type)} does not match table type ${typeToString(f.type)}`,
      );
    if (f.required && d.nullCount > 0)
      throw validationError(
        'NullInRequiredColumn',
        `column ${f.name} is required but the input has ${d.nullCount} null(s)`,
      );
    return conformForWrite(d, f.type, `column ${f.name}`);
  });
  return new RecordBatch(
    arrowSchema,
    makeData({ type: new Struct(arrowSchema.fields), length: batch.numRows, nullCount: 0, children }),
  );
}

// ---------------------------------------------------------------------------------------------
// Metrics (spec "Manifests": value_counts, null_value_counts, nan_value_counts, bounds).

const TRUNCATE = 16;

function truncateUpperString(s: string): string | undefined {
  const cps = Array.from(s);
  if (cps.length <= TRUNCATE) return s;
  // Increment the last code point that can be incremented (Java's truncateStringMax).
  for (let i = TRUNCATE - 1; i >= 0; i--) {
    const cp = (cps[i] as string).codePointAt(0) as number;
    if (cp < 0x10ffff && !(cp + 1 >= 0xd800 && cp + 1 <= 0xdfff)) {
      return cps.slice(0, i).join('') + String.fromCodePoint(cp + 1);
    }
  }
  return undefined;
}
function truncateUpperBinary(b: Uint8Array): Uint8Array | undefined {
  if (b.length <= TRUNCATE) return b;
  const out = b.slice(0, TRUNCATE);
  for (let i = TRUNCATE - 1; i >= 0; i--) {
    if ((out[i] as number) < 0xff) {
      out[i] = (out[i] as number) + 1;
      return out.slice(0, i + 1);
    }
  }
  return undefined;
}

const ALWAYS_VALID = () => true;

/** A single-chunk column outside any struct (`parentValid` is the top level's). */
function topLevel(vec: Vector, parentValid: (i: number) => boolean): boolean {
  return parentValid === ALWAYS_VALID && vec.data.length === 1;
}

interface ColumnStats {
  nulls: number;
  nans: number;
  lo: IcebergValue | undefined;
  hi: IcebergValue | undefined;
}

/**
 * Null/NaN counts and min/max of one column straight from its Arrow buffers, for the common
 * fixed-width numeric and string/binary layouts; undefined for the others (the generic per-value
 * path handles them). The profile of a 1000-row append had the per-value path (a reader call,
 * `compareValues`, UTF-8 decoding of every string) as a tenth of its time. Strings compare as
 * UTF-8 bytes, which is code-point order, the order `compareValues` uses; only the two bounds are
 * decoded.
 */
function columnStats(d: Data, t: PrimitiveType): ColumnStats | undefined {
  const n = d.length;
  const bm = d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0 ? d.nullBitmap : undefined;
  const off = d.offset;
  const valid = (i: number) => !bm || (((bm[(off + i) >> 3] as number) >> ((off + i) & 7)) & 1) === 1;
  let nulls = 0;
  let nans = 0;
  switch (d.type.typeId) {
    case Type.Int:
    case Type.Float:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp: {
      if (d.type.typeId === Type.Date && (d.type as unknown as { unit: number }).unit !== 0) return undefined;
      // Float16 keeps raw bits in a Uint16Array.
      if (d.type.typeId === Type.Float && (d.type as unknown as { precision: number }).precision === 0)
        return undefined;
      const values = d.values as ArrayLike<number | bigint>;
      let lo: number | bigint | undefined;
      let hi: number | bigint | undefined;
      for (let i = 0; i < n; i++) {
        if (!valid(i)) {
          nulls++;
          continue;
        }
        const v = values[i] as number | bigint;
        if (typeof v === 'number' && Number.isNaN(v)) {
          nans++;
          continue;
        }
        if (lo === undefined || v < lo) lo = v;
        if (hi === undefined || v > hi) hi = v;
      }
      // The in-memory forms `valueReader` gives (values.ts): bigint for long-like types.
      const toLong = t !== 'int' && t !== 'date' && t !== 'float' && t !== 'double';
      const conv = (v: number | bigint | undefined) =>
        v === undefined ? undefined : toLong ? BigInt(v) : Number(v);
      return { nulls, nans, lo: conv(lo), hi: conv(hi) };
    }
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Binary:
    case Type.LargeBinary: {
      const offs = d.valueOffsets as Int32Array | BigInt64Array;
      const bytes = d.values as Uint8Array;
      let loS = -1;
      let loE = -1;
      let hiS = -1;
      let hiE = -1;
      for (let i = 0; i < n; i++) {
        if (!valid(i)) {
          nulls++;
          continue;
        }
        const a = Number(offs[i]);
        const b = Number(offs[i + 1]);
        if (loS < 0 || compareBytes(bytes, a, b, loS, loE) < 0) {
          loS = a;
          loE = b;
        }
        if (hiS < 0 || compareBytes(bytes, a, b, hiS, hiE) > 0) {
          hiS = a;
          hiE = b;
        }
      }
      if (loS < 0) return { nulls, nans, lo: undefined, hi: undefined };
      const text = d.type.typeId === Type.Utf8 || d.type.typeId === Type.LargeUtf8;
      const out = (a: number, b: number) => (text ? utf8.decode(bytes.subarray(a, b)) : bytes.slice(a, b));
      return { nulls, nans, lo: out(loS, loE), hi: out(hiS, hiE) };
    }
    default:
      return undefined;
  }
}

const utf8 = new TextDecoder();

/** Unsigned lexicographic order of bytes[a1, b1) and bytes[a2, b2). */
function compareBytes(bytes: Uint8Array, a1: number, b1: number, a2: number, b2: number): number {
  const n = Math.min(b1 - a1, b2 - a2);
  for (let k = 0; k < n; k++) {
    const d = (bytes[a1 + k] as number) - (bytes[a2 + k] as number);
    if (d !== 0) return d;
  }
  return b1 - a1 - (b2 - a2);
}

export interface FileMetrics {
  valueCounts: Map<number, number>;
  nullValueCounts: Map<number, number>;
  nanValueCounts: Map<number, number>;
  lowerBounds: Map<number, Uint8Array>;
  upperBounds: Map<number, Uint8Array>;
}

/** Metrics of the primitive columns reachable through structs (list/map contents get counts only). */
export function computeMetrics(batch: RecordBatch, schema: Schema): FileMetrics {
  const m: FileMetrics = {
    valueCounts: new Map(),
    nullValueCounts: new Map(),
    nanValueCounts: new Map(),
    lowerBounds: new Map(),
    upperBounds: new Map(),
  };
  const visit = (f: NestedField, vec: Vector, parentValid: (i: number) => boolean) => {
    if (!isPrimitive(f.type)) {
      if (f.type.type === 'struct') {
        const st = f.type;
        st.fields.forEach((c, k) => {
          const child = vec.getChildAt(k);
          if (child) visit(c, child, (i) => parentValid(i) && vec.isValid(i));
        });
      }
      return;
    }
    const t = f.type as PrimitiveType;
    let nulls = 0;
    let nans = 0;
    let lo: IcebergValue | undefined;
    let hi: IcebergValue | undefined;
    const fast = topLevel(vec, parentValid) ? columnStats(vec.data[0] as Data, t) : undefined;
    if (fast) ({ nulls, nans, lo, hi } = fast);
    const read = fast ? () => null : valueReader(vec, t);
    for (let i = 0; !fast && i < vec.length; i++) {
      const v = parentValid(i) ? read(i) : null;
      if (v === null) {
        nulls++;
        continue;
      }
      if (typeof v === 'number' && Number.isNaN(v)) {
        nans++;
        continue;
      }
      if (lo === undefined || compareValues(v, lo) < 0) lo = v;
      if (hi === undefined || compareValues(v, hi) > 0) hi = v;
    }
    m.valueCounts.set(f.id, vec.length);
    m.nullValueCounts.set(f.id, nulls);
    if (t === 'float' || t === 'double') m.nanValueCounts.set(f.id, nans);
    if (lo !== undefined && hi !== undefined) {
      if (t === 'string') {
        m.lowerBounds.set(
          f.id,
          serializeValue(
            t,
            Array.from(lo as string)
              .slice(0, TRUNCATE)
              .join(''),
          ),
        );
        const up = truncateUpperString(hi as string);
        if (up !== undefined) m.upperBounds.set(f.id, serializeValue(t, up));
      } else if (t === 'binary') {
        m.lowerBounds.set(f.id, (lo as Uint8Array).slice(0, TRUNCATE));
        const up = truncateUpperBinary(hi as Uint8Array);
        if (up !== undefined) m.upperBounds.set(f.id, up);
      } else {
        m.lowerBounds.set(f.id, serializeValue(t, lo));
        m.upperBounds.set(f.id, serializeValue(t, hi));
      }
    }
  };
  schema.fields.forEach((f, i) => {
    const vec = batch.getChildAt(i);
    if (vec) visit(f, vec, ALWAYS_VALID);
  });
  return m;
}

// ---------------------------------------------------------------------------------------------
// Parquet files.

/** Parquet bytes of a batch; field ids travel in the Arrow field metadata (`PARQUET:field_id`). */
export function encodeParquet(batch: RecordBatch): Uint8Array {
  const ipc = tableToIPC(new ArrowTable([batch]), 'stream');
  const props = new WriterPropertiesBuilder().setCompression(Compression.ZSTD).build();
  return writeParquet(WasmTable.fromIPCStream(ipc), props);
}

/** Partition tuple of each row under `spec`, and the rows grouped by tuple. */
export function partitionRows(
  batch: RecordBatch,
  spec: PartitionSpec,
  schema: Schema,
): { partition: (IcebergValue | null)[]; rows: number[] }[] {
  if (spec.fields.length === 0)
    return [{ partition: [], rows: Array.from({ length: batch.numRows }, (_, i) => i) }];
  const index = indexById(schema);
  const ptypes = partitionType(spec, schema);
  const readers = ptypes.map(({ field, sourceType }) => {
    const src = index.get(field.sourceId);
    if (!src || !sourceType) return () => null;
    const path = src.path.split('.');
    let vec: Vector | null | undefined = batch.getChild(path[0] as string);
    for (const p of path.slice(1)) vec = vec?.getChild(p);
    if (!vec) throw validationError('SchemaMismatch', `partition source column ${src.path} is missing`);
    const read = valueReader(vec, sourceType);
    return (i: number) => applyTransform(field.transform, sourceType, read(i));
  });
  const groups = new Map<string, { partition: (IcebergValue | null)[]; rows: number[] }>();
  for (let i = 0; i < batch.numRows; i++) {
    const tuple = readers.map((r) => r(i));
    const key = tuple
      .map((v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v)) + typeof v)
      .join('\u0001');
    let g = groups.get(key);
    if (!g) {
      g = { partition: tuple, rows: [] };
      groups.set(key, g);
    }
    g.rows.push(i);
  }
  return [...groups.values()];
}

export function partitionPath(
  spec: PartitionSpec,
  schema: Schema,
  partition: (IcebergValue | null)[],
): string {
  const ptypes = partitionType(spec, schema);
  return ptypes
    .map(({ field, sourceType }, i) => {
      const v = partition[i] ?? null;
      const human = v === null ? 'null' : toHumanString(field.transform, sourceType ?? 'int', v);
      return `${encodeURIComponent(field.name)}=${encodeURIComponent(human)}`;
    })
    .join('/');
}

export interface WrittenFiles {
  files: DataFile[];
  /** Every location written, for cleanup on failure. */
  locations: string[];
}

/**
 * Writes a batch as one Parquet file per partition under `${location}/data/`. Uploads run while the
 * next file is encoded and the metrics computed. Without `uploads` this waits for all of them; with
 * it, their promises are handed to the caller (which must wait for them before committing, and
 * before deleting `written` on failure).
 */
export async function writeDataFiles(
  io: FileIO,
  location: string,
  batch: RecordBatch,
  schema: Schema,
  spec: PartitionSpec,
  written: string[],
  uploads?: Promise<unknown>[],
): Promise<DataFile[]> {
  const out: DataFile[] = [];
  if (batch.numRows === 0) return out;
  const pending: Promise<unknown>[] = uploads ?? [];
  try {
    const groups = partitionRows(batch, spec, schema);
    const base = location.replace(/\/+$/, '');
    for (const g of groups) {
      const part = g.rows.length === batch.numRows ? batch : takeBatch(batch, g.rows);
      const bytes = encodeParquet(part);
      const dir = spec.fields.length > 0 ? `${partitionPath(spec, schema, g.partition)}/` : '';
      const path = `${base}/data/${dir}${randomUUID()}.parquet`;
      written.push(path);
      const p = io.write(path, bytes, { ifAbsent: true });
      p.catch(() => {}); // surfaced by whoever waits for `pending`
      pending.push(p);
      const metrics = computeMetrics(part, schema);
      out.push({
        content: FileContent.Data,
        filePath: path,
        fileFormat: 'PARQUET',
        partition: g.partition,
        specId: spec.specId,
        recordCount: part.numRows,
        fileSizeInBytes: bytes.byteLength,
        ...metrics,
      });
    }
  } catch (e) {
    if (!uploads) await Promise.allSettled(pending);
    throw e;
  }
  if (!uploads) await settleWrites(pending);
  return out;
}
