/**
 * Iceberg schema ↔ Apache Arrow schema, and moving values between Iceberg's in-memory forms
 * (values.ts) and Arrow vectors. The mapping follows PyIceberg's (`schema_to_pyarrow`): strings,
 * binaries and lists use the 64-bit-offset Large types, timestamps are microseconds (`UTC` for tz),
 * decimals Decimal128, uuid FixedSizeBinary(16), and every field carries its Iceberg id in the
 * Arrow field metadata key `PARQUET:field_id`, which Parquet writers turn into the schema's
 * field_id (spec Appendix A, Parquet).
 */
import {
  Schema as ArrowSchema,
  Binary,
  Bool,
  type Data,
  type DataType,
  DateDay,
  Decimal,
  Field,
  FixedSizeBinary,
  Float32,
  Float64,
  Int32,
  Int64,
  LargeBinary,
  LargeList,
  LargeUtf8,
  List,
  Map_,
  makeData,
  makeVector,
  Struct,
  Time,
  Timestamp,
  TimeUnit,
  Type,
  Utf8,
  type Vector,
} from 'apache-arrow';
import { validationError } from './errors.js';
import {
  decimalParams,
  fixedLength,
  type IcebergType,
  isPrimitive,
  type NestedField,
  type PrimitiveType,
  type Schema,
} from './types.js';
import { bytesToUuid, type IcebergValue, toInternal, uuidToBytes } from './values.js';

export const FIELD_ID_KEY = 'PARQUET:field_id';

export function primitiveToArrow(t: PrimitiveType): DataType {
  switch (t) {
    case 'boolean':
      return new Bool();
    case 'int':
      return new Int32();
    case 'long':
      return new Int64();
    case 'float':
      return new Float32();
    case 'double':
      return new Float64();
    case 'date':
      return new DateDay();
    case 'time':
      return new Time(TimeUnit.MICROSECOND, 64);
    case 'timestamp':
      return new Timestamp(TimeUnit.MICROSECOND);
    case 'timestamptz':
      return new Timestamp(TimeUnit.MICROSECOND, 'UTC');
    case 'timestamp_ns':
      return new Timestamp(TimeUnit.NANOSECOND);
    case 'timestamptz_ns':
      return new Timestamp(TimeUnit.NANOSECOND, 'UTC');
    case 'string':
      return new LargeUtf8();
    case 'uuid':
      return new FixedSizeBinary(16);
    case 'binary':
      return new LargeBinary();
  }
  const len = fixedLength(t);
  if (len !== undefined) return new FixedSizeBinary(len);
  const d = decimalParams(t);
  if (d) return new Decimal(d.scale, d.precision, 128);
  throw validationError('UnsupportedType', `type ${t} has no Arrow form in lakekit`);
}

function idMeta(id: number): Map<string, string> {
  return new Map([[FIELD_ID_KEY, String(id)]]);
}

export function typeToArrow(t: IcebergType): DataType {
  if (isPrimitive(t)) return primitiveToArrow(t);
  if (t.type === 'struct') return new Struct(t.fields.map(fieldToArrow));
  if (t.type === 'list')
    return new LargeList(
      new Field('element', typeToArrow(t.element), !t.elementRequired, idMeta(t.elementId)),
    );
  const entries = new Field(
    'entries',
    new Struct([
      new Field('key', typeToArrow(t.key), false, idMeta(t.keyId)),
      new Field('value', typeToArrow(t.value), !t.valueRequired, idMeta(t.valueId)),
    ]),
    false,
  );
  return new Map_(entries as never, false);
}

export function fieldToArrow(f: NestedField): Field {
  return new Field(f.name, typeToArrow(f.type), !f.required, idMeta(f.id));
}

/** The Arrow schema of an Iceberg schema, with field ids in the field metadata. */
export function schemaToArrow(schema: Schema | { fields: NestedField[] }): ArrowSchema {
  return new ArrowSchema(schema.fields.map(fieldToArrow));
}

/** The Iceberg field id an Arrow field carries, if any. */
export function arrowFieldId(f: Field): number | undefined {
  const v = f.metadata.get(FIELD_ID_KEY);
  return v === undefined ? undefined : Number(v);
}

// ---------------------------------------------------------------------------------------------
// Reading Iceberg values out of Arrow vectors.

function decimal128(words: Uint32Array, i: number): bigint {
  const base = i * 4;
  let v = 0n;
  for (let w = 3; w >= 0; w--) v = (v << 32n) | BigInt(words[base + w] as number);
  return BigInt.asIntN(128, v);
}

/** A reader of row `i` of `vector` as the Iceberg in-memory value of `type` (primitives only). */
export function valueReader(vector: Vector, type: PrimitiveType): (i: number) => IcebergValue | null {
  // Locate the chunk for a row once per call; most batches have a single chunk.
  const chunks = vector.data;
  const starts: number[] = [];
  let acc = 0;
  for (const d of chunks) {
    starts.push(acc);
    acc += d.length;
  }
  const readers = chunks.map((d) => chunkReader(d, type));
  if (readers.length === 1) return readers[0] as (i: number) => IcebergValue | null;
  return (i) => {
    let c = 0;
    while (c + 1 < starts.length && (starts[c + 1] as number) <= i) c++;
    return (readers[c] as (i: number) => IcebergValue | null)(i - (starts[c] as number));
  };
}

function chunkReader(d: Data, type: PrimitiveType): (i: number) => IcebergValue | null {
  // Arrow JS slices fixed-width value buffers along with the data (only the validity bitmap keeps
  // `offset`, and `getValid` applies it), so values are indexed from 0 here.
  const valid = (i: number) => d.nullCount === 0 || d.getValid(i);
  const values = d.values as ArrayLike<number | bigint> & { subarray?: unknown };
  switch (d.type.typeId) {
    case Type.Int:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Float: {
      const toLong = type !== 'int' && type !== 'date' && type !== 'float' && type !== 'double';
      // Date64 (ms) is not produced by Parquet readers for Iceberg dates; DateDay values are days.
      return (i) => {
        if (!valid(i)) return null;
        const v = values[i] as number | bigint;
        return toLong ? BigInt(v) : Number(v);
      };
    }
    case Type.Decimal: {
      const words = d.values as Uint32Array;
      return (i) => (valid(i) ? decimal128(words, i) : null);
    }
    case Type.FixedSizeBinary: {
      const vec = makeVector(d);
      return (i) => {
        if (!valid(i)) return null;
        const b = vec.get(i) as Uint8Array;
        return type === 'uuid' ? bytesToUuid(b) : b;
      };
    }
    default: {
      const vec = makeVector(d);
      return (i) => (valid(i) ? (vec.get(i) as IcebergValue) : null);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Building Arrow data from Iceberg values (row objects, defaults, promoted columns).

function validity(values: readonly unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const bm = new Uint8Array(Math.ceil(values.length / 8));
  let nulls = 0;
  values.forEach((v, i) => {
    if (v === null || v === undefined) nulls++;
    else bm[i >> 3] = (bm[i >> 3] as number) | (1 << (i & 7));
  });
  return { nullBitmap: bm, nullCount: nulls };
}

const te = new TextEncoder();

function buildPrimitive(t: PrimitiveType, vals: readonly (IcebergValue | null)[]): Data {
  const type = primitiveToArrow(t);
  const n = vals.length;
  const { nullBitmap, nullCount } = validity(vals);
  const base = { type, length: n, nullCount, nullBitmap } as never;
  switch (type.typeId) {
    case Type.Bool: {
      const bits = new Uint8Array(Math.ceil(n / 8));
      vals.forEach((v, i) => {
        if (v === true) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
      });
      return makeData({ ...(base as object), data: bits } as never);
    }
    case Type.Int:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Float: {
      const Ctor = (type as unknown as { ArrayType: new (n: number) => ArrayLike<number | bigint> })
        .ArrayType;
      const arr = new Ctor(n) as unknown as (number | bigint)[];
      const big = arr instanceof BigInt64Array;
      vals.forEach((v, i) => {
        if (v !== null) arr[i] = big ? BigInt(v as bigint) : Number(v);
      });
      return makeData({ ...(base as object), data: arr } as never);
    }
    case Type.Decimal: {
      const words = new Uint32Array(n * 4);
      vals.forEach((v, i) => {
        if (v === null) return;
        let x = BigInt.asUintN(128, v as bigint);
        for (let w = 0; w < 4; w++) {
          words[i * 4 + w] = Number(x & 0xffffffffn);
          x >>= 32n;
        }
      });
      return makeData({ ...(base as object), data: words } as never);
    }
    case Type.FixedSizeBinary: {
      const width = (type as FixedSizeBinary).byteWidth;
      const buf = new Uint8Array(n * width);
      vals.forEach((v, i) => {
        if (v === null) return;
        buf.set(t === 'uuid' ? uuidToBytes(v as string) : (v as Uint8Array), i * width);
      });
      return makeData({ ...(base as object), data: buf } as never);
    }
    default: {
      // LargeUtf8 / LargeBinary: 64-bit offsets.
      if (t === 'string') {
        const ascii = asciiStrings(vals as readonly (string | null)[]);
        if (ascii) return makeData({ ...(base as object), ...ascii } as never);
      }
      const parts = vals.map((v) =>
        v === null ? new Uint8Array(0) : typeof v === 'string' ? te.encode(v) : (v as Uint8Array),
      );
      const offsets = new BigInt64Array(n + 1);
      let total = 0;
      parts.forEach((p, i) => {
        total += p.length;
        offsets[i + 1] = BigInt(total);
      });
      const data = new Uint8Array(total);
      let pos = 0;
      for (const p of parts) {
        data.set(p, pos);
        pos += p.length;
      }
      return makeData({ ...(base as object), valueOffsets: offsets, data } as never);
    }
  }
}

const NON_ASCII = /\P{ASCII}/u;

/**
 * Offsets and bytes of a string column when every string is ASCII (one byte per UTF-16 unit): one
 * native join and latin1 encode instead of an encoder call and a copy per value. Undefined
 * otherwise.
 */
function asciiStrings(
  vals: readonly (string | null)[],
): { valueOffsets: BigInt64Array; data: Uint8Array } | undefined {
  const text = vals.map((v) => v ?? '').join('');
  if (NON_ASCII.test(text)) return undefined;
  const valueOffsets = new BigInt64Array(vals.length + 1);
  let total = 0;
  for (let i = 0; i < vals.length; i++) {
    total += (vals[i] ?? '').length;
    valueOffsets[i + 1] = BigInt(total);
  }
  // Its own buffer (not a slice of Node's shared Buffer pool).
  const data = new Uint8Array(text.length);
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).write(text, 'latin1');
  return { valueOffsets, data };
}

/** Whether `v` is already the in-memory value `toInternal` would return for `t` (common types only). */
function isInternal(t: PrimitiveType, v: unknown): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'long':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
    case 'time':
      return typeof v === 'bigint';
    case 'double':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'int':
    case 'date':
      return typeof v === 'number' && (v | 0) === v;
    default:
      return false;
  }
}

/**
 * Arrow data for a column of `type` from caller values (row objects). Primitive values are coerced
 * with `toInternal` (ISO strings, Dates, numbers, …); structs are objects, lists arrays, maps `Map`s
 * or plain objects. `what` names the column in errors; required columns reject nulls.
 */
export function buildColumn(field: NestedField, values: readonly unknown[], what = field.name): Data {
  const t = field.type;
  if (field.required) {
    const i = values.findIndex((v) => v === null || v === undefined);
    if (i >= 0)
      throw validationError('NullInRequiredColumn', `column ${what} is required but row ${i} has no value`);
  }
  if (isPrimitive(t)) {
    const out = new Array<IcebergValue | null>(values.length);
    // Text literals (ISO dates and timestamps) repeat within a column: each distinct one is
    // parsed once. `toInternal` is a pure function of the literal, so the cache changes nothing.
    let parsed: Map<string, IcebergValue> | undefined;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      // Values already in their in-memory form skip `toInternal` and the per-row message it
      // takes (a profiled append spent more on building those strings than on coercing).
      if (v === null || v === undefined) out[i] = null;
      else if (isInternal(t, v)) out[i] = v as IcebergValue;
      else if (typeof v === 'string') {
        parsed ??= new Map();
        let x = parsed.get(v);
        if (x === undefined) {
          x = toInternal(t, v, `${what} (row ${i})`);
          parsed.set(v, x);
        }
        out[i] = x;
      } else out[i] = toInternal(t, v, `${what} (row ${i})`);
    }
    return buildPrimitive(t, out);
  }
  const { nullBitmap, nullCount } = validity(values);
  const length = values.length;
  if (t.type === 'struct') {
    const children = t.fields.map((c) =>
      buildColumn(
        c.required ? { ...c, required: false } : c, // a null parent struct makes its children null
        values.map((v) =>
          v === null || v === undefined ? null : ((v as Record<string, unknown>)[c.name] ?? null),
        ),
        `${what}.${c.name}`,
      ),
    );
    return makeData({ type: typeToArrow(t) as Struct, length, nullCount, nullBitmap, children });
  }
  if (t.type === 'list') {
    const offsets = new BigInt64Array(length + 1);
    const flat: unknown[] = [];
    values.forEach((v, i) => {
      if (Array.isArray(v)) flat.push(...v);
      else if (v !== null && v !== undefined)
        throw validationError('SchemaMismatch', `column ${what} row ${i}: expected a list`);
      offsets[i + 1] = BigInt(flat.length);
    });
    const child = buildColumn(
      { id: t.elementId, name: 'element', required: t.elementRequired, type: t.element },
      flat,
      `${what}.element`,
    );
    return makeData({
      type: typeToArrow(t) as LargeList,
      length,
      nullCount,
      nullBitmap,
      valueOffsets: offsets,
      child,
    });
  }
  const offsets = new Int32Array(length + 1);
  const keys: unknown[] = [];
  const vals: unknown[] = [];
  values.forEach((v, i) => {
    if (v !== null && v !== undefined) {
      const entries =
        v instanceof Map
          ? [...v.entries()]
          : Array.isArray(v)
            ? (v as [unknown, unknown][])
            : Object.entries(v as object);
      for (const [k, x] of entries) {
        keys.push(k);
        vals.push(x);
      }
    }
    offsets[i + 1] = keys.length;
  });
  const mt = typeToArrow(t) as Map_;
  const entryType = mt.children[0]?.type as Struct;
  const entries = makeData({
    type: entryType,
    length: keys.length,
    nullCount: 0,
    children: [
      buildColumn({ id: t.keyId, name: 'key', required: true, type: t.key }, keys, `${what}.key`),
      buildColumn(
        { id: t.valueId, name: 'value', required: t.valueRequired, type: t.value },
        vals,
        `${what}.value`,
      ),
    ],
  });
  return makeData({ type: mt, length, nullCount, nullBitmap, valueOffsets: offsets, child: entries });
}

/** A column of nulls (or of a constant, e.g. a v3 initial-default) of `field`'s type. */
export function constantColumn(field: NestedField, length: number, value: unknown = null): Data {
  return buildColumn({ ...field, required: false }, new Array(length).fill(value), field.name);
}

export { Binary, List, Utf8 };
