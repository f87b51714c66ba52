/**
 * The table schema as Delta writes it in `metaData.schemaString` (PROTOCOL.md "Schema
 * Serialization Format"), its mapping to Apache Arrow types, column mapping (logical name ↔
 * physical name / field id, PROTOCOL.md "Column Mapping") and the typed decoding of partition
 * values, which the log stores as strings (PROTOCOL.md "Partition Value Serialization").
 */
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  List,
  Map_,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import { DeltaError } from './errors.js';

export type DeltaPrimitiveType =
  | 'string'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'float'
  | 'double'
  | 'boolean'
  | 'binary'
  | 'date'
  | 'timestamp'
  | 'timestamp_ntz'
  | 'variant'
  | `decimal(${number},${number})`
  | (string & {});

export interface DeltaStructType {
  type: 'struct';
  fields: DeltaStructField[];
}
export interface DeltaArrayType {
  type: 'array';
  elementType: DeltaDataType;
  containsNull: boolean;
}
export interface DeltaMapType {
  type: 'map';
  keyType: DeltaDataType;
  valueType: DeltaDataType;
  valueContainsNull: boolean;
}
export type DeltaDataType = DeltaPrimitiveType | DeltaStructType | DeltaArrayType | DeltaMapType;

export interface DeltaStructField {
  name: string;
  type: DeltaDataType;
  nullable: boolean;
  metadata: Record<string, unknown>;
}

export type ColumnMappingMode = 'none' | 'name' | 'id';

const PHYSICAL_NAME = 'delta.columnMapping.physicalName';
const FIELD_ID = 'delta.columnMapping.id';

export function parseSchema(schemaString: string, version?: number): DeltaStructType {
  let parsed: unknown;
  try {
    parsed = JSON.parse(schemaString);
  } catch (e) {
    throw new DeltaError({
      code: 'InvalidMetadata',
      message: `metaData.schemaString is not JSON${version !== undefined ? ` (version ${version})` : ''}`,
      ...(version !== undefined ? { version } : {}),
      cause: e,
    });
  }
  const s = parsed as DeltaStructType;
  if (s?.type !== 'struct' || !Array.isArray(s.fields))
    throw new DeltaError({
      code: 'InvalidMetadata',
      message: `metaData.schemaString is not a struct type${version !== undefined ? ` (version ${version})` : ''}`,
      ...(version !== undefined ? { version } : {}),
    });
  return s;
}

export function columnMappingMode(configuration: Record<string, string>): ColumnMappingMode {
  const mode = configuration['delta.columnMapping.mode'] ?? 'none';
  if (mode !== 'none' && mode !== 'name' && mode !== 'id')
    throw new DeltaError({ code: 'InvalidMetadata', message: `unknown delta.columnMapping.mode "${mode}"` });
  return mode;
}

/** The name a field has in data files and in `partitionValues` / stats keys. */
export function physicalName(field: DeltaStructField, mode: ColumnMappingMode): string {
  if (mode === 'none') return field.name;
  const p = field.metadata[PHYSICAL_NAME];
  if (typeof p !== 'string')
    throw new DeltaError({
      code: 'InvalidMetadata',
      message: `column mapping mode "${mode}" but field "${field.name}" has no ${PHYSICAL_NAME}`,
    });
  return p;
}

export function fieldId(field: DeltaStructField): number | undefined {
  const id = field.metadata[FIELD_ID];
  return typeof id === 'number' ? id : undefined;
}

const DECIMAL = /^decimal\((\d+),\s*(\d+)\)$/;

/** Arrow type for a Delta type, with logical names (the shape `toArrow` returns). */
export function toArrowType(t: DeltaDataType): DataType {
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
        return new Utf8();
      case 'long':
        return new Int64();
      case 'integer':
        return new Int32();
      case 'short':
        return new Int16();
      case 'byte':
        return new Int8();
      case 'float':
        return new Float32();
      case 'double':
        return new Float64();
      case 'boolean':
        return new Bool();
      case 'binary':
        return new Binary();
      case 'date':
        return new DateDay();
      case 'timestamp':
        return new TimestampMicrosecond('UTC');
      case 'timestamp_ntz':
        return new TimestampMicrosecond();
      case 'variant':
        // Read as the raw Parquet struct {value, metadata} of binaries (variantType, read as binary).
        return new Struct([
          new Field('value', new Binary(), true),
          new Field('metadata', new Binary(), true),
        ]);
    }
    const m = DECIMAL.exec(t);
    if (m) return new Decimal(Number(m[2]), Number(m[1]), 128);
    throw new DeltaError({ code: 'InvalidMetadata', message: `unsupported Delta type "${t}"` });
  }
  switch (t.type) {
    case 'struct':
      return new Struct(t.fields.map(toArrowField));
    case 'array':
      return new List(new Field('element', toArrowType(t.elementType), t.containsNull));
    case 'map':
      return new Map_(
        new Field(
          'key_value',
          new Struct([
            new Field('key', toArrowType(t.keyType), false),
            new Field('value', toArrowType(t.valueType), t.valueContainsNull),
          ]) as Struct<{ key: DataType; value: DataType }>,
          false,
        ),
      );
  }
}

export function toArrowField(f: DeltaStructField): Field {
  return new Field(f.name, toArrowType(f.type), f.nullable);
}

export function toArrowSchema(fields: DeltaStructField[]): Schema {
  return new Schema(fields.map(toArrowField));
}

/** A partition value decoded to what an Arrow vector of the column's type stores. */
export type PartitionScalar = string | number | bigint | boolean | Uint8Array | null;

const TS = /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** Microseconds since the epoch for a partition timestamp string (zone-less values are UTC). */
export function parseTimestampMicros(s: string): bigint {
  const m = TS.exec(s.trim());
  if (!m) throw new Error(`not a timestamp: ${s}`);
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  if (zone && zone !== 'Z') {
    const z = /([+-])(\d{2}):?(\d{2})/.exec(zone)!;
    const off = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
    ms -= z[1] === '+' ? off : -off;
  }
  const micros = frac ? BigInt(frac.padEnd(6, '0').slice(0, 6)) : 0n;
  return BigInt(ms) * 1000n + micros;
}

/** Decodes one serialized partition value; `null` and (per the protocol) `""` mean null. */
export function parsePartitionValue(
  raw: string | null | undefined,
  type: DeltaDataType,
  column: string,
): PartitionScalar {
  if (raw === null || raw === undefined || raw === '') return null;
  const bad = (): never => {
    throw new DeltaError({
      code: 'InvalidMetadata',
      message: `partition value "${raw}" of column "${column}" is not a valid ${JSON.stringify(type)}`,
    });
  };
  if (typeof type !== 'string') return bad();
  switch (type) {
    case 'string':
      return raw;
    case 'long': {
      try {
        return BigInt(raw);
      } catch {
        return bad();
      }
    }
    case 'integer':
    case 'short':
    case 'byte': {
      const n = Number(raw);
      return Number.isInteger(n) ? n : bad();
    }
    case 'float':
    case 'double': {
      const n = Number(raw);
      return Number.isNaN(n) && raw !== 'NaN' ? bad() : n;
    }
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : bad();
    case 'date': {
      const m = /^(\d{4,})-(\d{2})-(\d{2})$/.exec(raw);
      if (!m) return bad();
      return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000;
    }
    case 'timestamp':
    case 'timestamp_ntz':
      try {
        return parseTimestampMicros(raw);
      } catch {
        return bad();
      }
    case 'binary':
      // Serialized as a string whose code points are the bytes.
      return Uint8Array.from(raw, (c) => c.charCodeAt(0) & 0xff);
  }
  const m = DECIMAL.exec(type);
  if (m) {
    const scale = Number(m[2]);
    const dm = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(raw);
    if (!dm) return bad();
    const frac = (dm[3] ?? '').padEnd(scale, '0');
    if (frac.length > scale) return bad();
    const unscaled = BigInt((dm[2] || '0') + frac);
    return dm[1] === '-' ? -unscaled : unscaled;
  }
  return bad();
}
