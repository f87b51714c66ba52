/**
 * Brings the Arrow data decoded from one Parquet file to the table's logical Arrow schema: column
 * mapping renames (physical → logical, also inside structs), columns missing from older files
 * (schema evolution) as nulls, and the few representation differences Parquet readers produce for
 * one Delta type — INT96/nanosecond timestamps, narrower integers or floats after type widening,
 * large/view string and binary layouts. Buffers are reused whenever the layout already matches.
 */
import {
  type Data,
  type DataType,
  type Field,
  makeData,
  type Struct,
  Type,
  Vector,
  vectorFromArray,
} from 'apache-arrow';
import { DeltaError } from './errors.js';
import {
  type ColumnMappingMode,
  type DeltaDataType,
  type DeltaStructField,
  fieldId,
  physicalName,
} from './schema.js';

/** How a target field finds its source column: by physical name, or by Parquet field id in id mode. */
export interface FieldMatcher {
  mode: ColumnMappingMode;
  /** Parquet field id → column name in the file, for column mapping mode `id`. */
  idToName?: Map<number, string>;
}

export function sourceName(field: DeltaStructField, matcher: FieldMatcher): string {
  if (matcher.mode === 'id') {
    const id = fieldId(field);
    const byId = id !== undefined ? matcher.idToName?.get(id) : undefined;
    if (byId !== undefined) return byId;
  }
  return physicalName(field, matcher.mode);
}

/** A column of `length` nulls of any type. */
export function nullData(type: DataType, length: number): Data {
  return vectorFromArray(new Array(length).fill(null), type).data[0]!;
}

function sameLayout(a: DataType, b: DataType): boolean {
  if (a.typeId !== b.typeId) return false;
  switch (a.typeId) {
    case Type.Int:
      return (
        (a as unknown as { bitWidth: number }).bitWidth === (b as unknown as { bitWidth: number }).bitWidth
      );
    case Type.Float:
      return (
        (a as unknown as { precision: number }).precision ===
        (b as unknown as { precision: number }).precision
      );
    case Type.Timestamp:
      return (a as unknown as { unit: number }).unit === (b as unknown as { unit: number }).unit;
    case Type.Date:
      return (a as unknown as { unit: number }).unit === (b as unknown as { unit: number }).unit;
    case Type.Decimal: {
      const x = a as unknown as { scale: number; precision: number; bitWidth: number };
      const y = b as unknown as { scale: number; precision: number; bitWidth: number };
      return x.scale === y.scale && x.bitWidth === y.bitWidth;
    }
    default:
      return true;
  }
}

/** Conforms `data` (from a file) to `target` (logical type for the Delta type `delta`). */
export function conformData(
  data: Data,
  target: DataType,
  delta: DeltaDataType,
  matcher: FieldMatcher,
  column: string,
): Data {
  const src = data.type as DataType;
  if (typeof delta !== 'string' && delta.type === 'struct') {
    if (src.typeId !== Type.Struct) throw mismatch(column, src, target);
    const srcFields = (src as Struct).children;
    const targetFields = (target as Struct).children;
    const children = delta.fields.map((f, i) => {
      const name = sourceName(f, { mode: matcher.mode });
      const idx = srcFields.findIndex((s: Field) => s.name === name);
      const tf = targetFields[i]!;
      return idx < 0
        ? nullData(tf.type, data.length + data.offset)
        : conformData(data.children[idx]!, tf.type, f.type, matcher, `${column}.${f.name}`);
    });
    return makeData({
      type: target as Struct,
      offset: data.offset,
      length: data.length,
      nullCount: data.nullCount,
      nullBitmap: data.nullBitmap,
      children,
    });
  }
  if (typeof delta !== 'string' && delta.type === 'array') {
    if (src.typeId !== Type.List && src.typeId !== Type.LargeList) throw mismatch(column, src, target);
    const child = conformData(
      data.children[0]!,
      target.children[0]!.type,
      delta.elementType,
      matcher,
      `${column}[]`,
    );
    const offsets =
      src.typeId === Type.LargeList
        ? Int32Array.from(data.valueOffsets as unknown as BigInt64Array, Number)
        : data.valueOffsets;
    return makeData({
      type: target,
      offset: data.offset,
      length: data.length,
      nullCount: data.nullCount,
      nullBitmap: data.nullBitmap,
      valueOffsets: offsets as Int32Array,
      child,
    } as never);
  }
  if (typeof delta !== 'string' && delta.type === 'map') {
    if (src.typeId !== Type.Map) throw mismatch(column, src, target);
    const entries = data.children[0]!;
    const entryType = target.children[0]!.type as Struct;
    const key = conformData(
      entries.children[0]!,
      entryType.children[0]!.type,
      delta.keyType,
      matcher,
      `${column}.key`,
    );
    const value = conformData(
      entries.children[1]!,
      entryType.children[1]!.type,
      delta.valueType,
      matcher,
      `${column}.value`,
    );
    const child = makeData({
      type: entryType,
      offset: entries.offset,
      length: entries.length,
      nullCount: 0,
      children: [key, value],
    });
    return makeData({
      type: target,
      offset: data.offset,
      length: data.length,
      nullCount: data.nullCount,
      nullBitmap: data.nullBitmap,
      valueOffsets: data.valueOffsets,
      child,
    } as never);
  }
  if (sameLayout(src, target)) return data.clone(target as never);
  return castPrimitive(data, target, column);
}

function mismatch(column: string, src: DataType, target: DataType): DeltaError {
  return new DeltaError({
    code: 'CorruptDataFile',
    message: `column "${column}" is ${String(src)} in the data file but the table schema says ${String(target)}`,
  });
}

const UNIT_PER_SECOND = [1n, 1000n, 1_000_000n, 1_000_000_000n];

/** Value-wise conversions between representations of one Delta type. */
function castPrimitive(data: Data, target: DataType, column: string): Data {
  const src = data.type as DataType;
  const vec = new Vector([data]);
  const n = data.length;
  if (src.typeId === Type.Timestamp && target.typeId === Type.Timestamp) {
    const from = UNIT_PER_SECOND[(src as unknown as { unit: number }).unit]!;
    const to = UNIT_PER_SECOND[(target as unknown as { unit: number }).unit]!;
    const raw = data.values as BigInt64Array;
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const v = raw[i]!; // value buffers are sliced with the Data: no `offset` here
      out[i] = to >= from ? v * (to / from) : floorDiv(v, from / to);
    }
    const bitmap = sliceBitmap(data);
    return makeData({
      type: target as never,
      length: n,
      nullCount: data.nullCount,
      ...(bitmap ? { nullBitmap: bitmap } : {}),
      data: out,
    } as never);
  }
  if (
    (src.typeId === Type.Int && target.typeId === Type.Int) ||
    (src.typeId === Type.Float && target.typeId === Type.Float) ||
    (src.typeId === Type.Int && target.typeId === Type.Float) ||
    (src.typeId === Type.Date && target.typeId === Type.Date) ||
    [Type.Utf8, Type.LargeUtf8, Type.Utf8View].includes(src.typeId) ||
    [Type.Binary, Type.LargeBinary, Type.BinaryView].includes(src.typeId) ||
    (src.typeId === Type.Decimal && target.typeId === Type.Decimal)
  ) {
    const values: unknown[] = new Array(n);
    const wantBig = target.typeId === Type.Int && (target as unknown as { bitWidth: number }).bitWidth === 64;
    for (let i = 0; i < n; i++) {
      const v = vec.get(i);
      values[i] =
        v === null
          ? null
          : wantBig
            ? BigInt(v as number)
            : typeof v === 'bigint' && target.typeId !== Type.Int
              ? Number(v)
              : v;
    }
    if (src.typeId === Type.Decimal) {
      const s = src as unknown as { scale: number };
      const t = target as unknown as { scale: number };
      if (s.scale !== t.scale) throw unsupportedCast(column, src, target);
    }
    return vectorFromArray(values, target).data[0]!;
  }
  throw unsupportedCast(column, src, target);
}

function unsupportedCast(column: string, src: DataType, target: DataType): DeltaError {
  return new DeltaError({
    code: 'CorruptDataFile',
    message: `cannot read column "${column}": data file has ${String(src)}, table schema wants ${String(target)}`,
  });
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

function sliceBitmap(data: Data): Uint8Array | undefined {
  if (!data.nullBitmap || data.nullCount === 0) return undefined;
  if (data.offset === 0) return data.nullBitmap;
  const out = new Uint8Array(Math.ceil(data.length / 8));
  for (let i = 0; i < data.length; i++) {
    const j = data.offset + i;
    if ((data.nullBitmap[j >> 3]! >> (j & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}
