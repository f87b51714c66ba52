/**
 * The Iceberg type system and schemas (spec "Schemas and Data Types"): primitives including
 * `decimal(P,S)`, `fixed[L]`, `uuid` and the v3 nanosecond timestamps, nested `struct`/`list`/`map`
 * with field ids, parsing from and serialising to the table-metadata JSON form (spec Appendix C),
 * and lookups by field id and by dotted name. Field ids, not names, identify columns everywhere.
 */
import { protocolError, validationError } from './errors.js';

/** A primitive type in its canonical spelling, e.g. `long`, `decimal(10, 2)`, `fixed[16]`. */
export type PrimitiveType = string;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
  /** v3 default for rows written before the column existed (spec "Default values"). */
  initialDefault?: unknown;
  writeDefault?: unknown;
}

export interface StructType {
  type: 'struct';
  fields: NestedField[];
}
export interface ListType {
  type: 'list';
  elementId: number;
  element: IcebergType;
  elementRequired: boolean;
}
export interface MapType {
  type: 'map';
  keyId: number;
  key: IcebergType;
  valueId: number;
  value: IcebergType;
  valueRequired: boolean;
}
export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface Schema {
  schemaId: number;
  fields: NestedField[];
  identifierFieldIds: number[];
}

const SIMPLE = new Set([
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'timestamp_ns',
  'timestamptz_ns',
  'string',
  'uuid',
  'binary',
  'unknown',
]);
/** v3 types whose encodings lakekit does not implement; tables using them are refused by name. */
const UNSUPPORTED = new Set(['variant', 'geometry', 'geography']);

const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const FIXED = /^fixed\[\s*(\d+)\s*\]$/;

export function isPrimitive(t: IcebergType): t is PrimitiveType {
  return typeof t === 'string';
}

/** Precision and scale of a `decimal(P,S)` type, or undefined. */
export function decimalParams(t: IcebergType): { precision: number; scale: number } | undefined {
  if (typeof t !== 'string') return undefined;
  const m = DECIMAL.exec(t);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : undefined;
}

/** Length of a `fixed[L]` type, or undefined. */
export function fixedLength(t: IcebergType): number | undefined {
  if (typeof t !== 'string') return undefined;
  const m = FIXED.exec(t);
  return m ? Number(m[1]) : undefined;
}

/** Canonical spelling of a primitive; throws a protocol error naming `where` for anything else. */
export function parsePrimitive(raw: string, where: string): PrimitiveType {
  const t = raw.trim();
  if (SIMPLE.has(t)) return t;
  const d = DECIMAL.exec(t);
  if (d) {
    const p = Number(d[1]);
    const s = Number(d[2]);
    // Spec: decimal precision must be 38 or less, and scale cannot exceed precision.
    if (p < 1 || p > 38 || s > p)
      throw protocolError('InvalidType', `${where}: invalid ${t} (P ≤ 38, S ≤ P)`);
    return `decimal(${p}, ${s})`;
  }
  const f = FIXED.exec(t);
  if (f) return `fixed[${Number(f[1])}]`;
  if (UNSUPPORTED.has(t) || t.startsWith('geometry') || t.startsWith('geography'))
    throw protocolError('UnsupportedType', `${where}: type ${t} (Iceberg v3) is not supported by lakekit`);
  throw protocolError('InvalidType', `${where}: unknown type ${JSON.stringify(t)}`);
}

type Json = Record<string, unknown>;

function num(o: Json, key: string, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw protocolError('MalformedMetadata', `${where}: "${key}" must be an integer`);
  return v;
}

/** Parses a type from its metadata-JSON form (spec Appendix C). */
export function typeFromJson(raw: unknown, where: string): IcebergType {
  if (typeof raw === 'string') return parsePrimitive(raw, where);
  if (raw === null || typeof raw !== 'object')
    throw protocolError('MalformedMetadata', `${where}: type must be a string or object`);
  const o = raw as Json;
  switch (o.type) {
    case 'struct': {
      if (!Array.isArray(o.fields))
        throw protocolError('MalformedMetadata', `${where}: struct without fields`);
      return { type: 'struct', fields: o.fields.map((f, i) => fieldFromJson(f, `${where}.fields[${i}]`)) };
    }
    case 'list':
      return {
        type: 'list',
        elementId: num(o, 'element-id', where),
        element: typeFromJson(o.element, `${where}.element`),
        elementRequired: o['element-required'] === true,
      };
    case 'map':
      return {
        type: 'map',
        keyId: num(o, 'key-id', where),
        key: typeFromJson(o.key, `${where}.key`),
        valueId: num(o, 'value-id', where),
        value: typeFromJson(o.value, `${where}.value`),
        valueRequired: o['value-required'] === true,
      };
    default:
      throw protocolError('MalformedMetadata', `${where}: unknown nested type ${JSON.stringify(o.type)}`);
  }
}

export function fieldFromJson(raw: unknown, where: string): NestedField {
  if (raw === null || typeof raw !== 'object')
    throw protocolError('MalformedMetadata', `${where}: not an object`);
  const o = raw as Json;
  if (typeof o.name !== 'string') throw protocolError('MalformedMetadata', `${where}: field without a name`);
  const f: NestedField = {
    id: num(o, 'id', where),
    name: o.name,
    required: o.required === true,
    type: typeFromJson(o.type, `${where} (${o.name})`),
  };
  if (typeof o.doc === 'string') f.doc = o.doc;
  if ('initial-default' in o) f.initialDefault = o['initial-default'];
  if ('write-default' in o) f.writeDefault = o['write-default'];
  return f;
}

export function typeToJson(t: IcebergType): unknown {
  if (typeof t === 'string') return t;
  switch (t.type) {
    case 'struct':
      return { type: 'struct', fields: t.fields.map(fieldToJson) };
    case 'list':
      return {
        type: 'list',
        'element-id': t.elementId,
        element: typeToJson(t.element),
        'element-required': t.elementRequired,
      };
    case 'map':
      return {
        type: 'map',
        'key-id': t.keyId,
        key: typeToJson(t.key),
        'value-id': t.valueId,
        value: typeToJson(t.value),
        'value-required': t.valueRequired,
      };
  }
}

export function fieldToJson(f: NestedField): Json {
  const o: Json = { id: f.id, name: f.name, required: f.required, type: typeToJson(f.type) };
  if (f.doc !== undefined) o.doc = f.doc;
  if (f.initialDefault !== undefined) o['initial-default'] = f.initialDefault;
  if (f.writeDefault !== undefined) o['write-default'] = f.writeDefault;
  return o;
}

export function schemaFromJson(raw: unknown, where = 'schema'): Schema {
  if (raw === null || typeof raw !== 'object')
    throw protocolError('MalformedMetadata', `${where}: not an object`);
  const o = raw as Json;
  const st = typeFromJson({ ...o, type: 'struct' }, where) as StructType;
  const schema: Schema = {
    schemaId: typeof o['schema-id'] === 'number' ? o['schema-id'] : 0,
    fields: st.fields,
    identifierFieldIds: Array.isArray(o['identifier-field-ids'])
      ? (o['identifier-field-ids'] as number[])
      : [],
  };
  indexById(schema); // rejects duplicate ids early
  return schema;
}

export function schemaToJson(s: Schema): Json {
  const o: Json = { type: 'struct', 'schema-id': s.schemaId, fields: s.fields.map(fieldToJson) };
  if (s.identifierFieldIds.length > 0) o['identifier-field-ids'] = s.identifierFieldIds;
  return o;
}

/** A field reached from the schema root, with the names leading to it. */
export interface IndexedField {
  field: NestedField;
  /** Dotted path of names, e.g. `address.city`; list elements use `element`, maps `key`/`value`. */
  path: string;
  /** Whether a list or map lies on the way (such fields cannot be partition sources). */
  repeated: boolean;
}

const indexCache = new WeakMap<Schema, Map<number, IndexedField>>();

/** Every field by id, including list elements and map keys/values (as synthetic fields). */
export function indexById(schema: Schema): Map<number, IndexedField> {
  const cached = indexCache.get(schema);
  if (cached) return cached;
  const out = new Map<number, IndexedField>();
  const add = (f: NestedField, prefix: string, repeated: boolean) => {
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    if (out.has(f.id))
      throw protocolError(
        'MalformedMetadata',
        `schema ${schema.schemaId}: duplicate field id ${f.id} (${path})`,
      );
    out.set(f.id, { field: f, path, repeated });
    visit(f.type, path, repeated);
  };
  const visit = (t: IcebergType, path: string, repeated: boolean) => {
    if (typeof t === 'string') return;
    if (t.type === 'struct') for (const c of t.fields) add(c, path, repeated);
    else if (t.type === 'list')
      add({ id: t.elementId, name: 'element', required: t.elementRequired, type: t.element }, path, true);
    else {
      add({ id: t.keyId, name: 'key', required: true, type: t.key }, path, true);
      add({ id: t.valueId, name: 'value', required: t.valueRequired, type: t.value }, path, true);
    }
  };
  for (const f of schema.fields) add(f, '', false);
  indexCache.set(schema, out);
  return out;
}

/** The field with this id; throws naming the id when absent. */
export function fieldById(schema: Schema, id: number): IndexedField {
  const f = indexById(schema).get(id);
  if (!f) throw validationError('UnknownField', `field id ${id} is not in schema ${schema.schemaId}`);
  return f;
}

/** Looks a column up by dotted name (`address.city`); undefined when absent. */
export function findField(schema: Schema, name: string, caseSensitive = true): IndexedField | undefined {
  const want = caseSensitive ? name : name.toLowerCase();
  for (const f of indexById(schema).values()) {
    const p = caseSensitive ? f.path : f.path.toLowerCase();
    if (p === want) return f;
  }
  return undefined;
}

/** Highest field id used in the schema (for `last-column-id`). */
export function highestFieldId(schema: Schema): number {
  let max = 0;
  for (const id of indexById(schema).keys()) max = Math.max(max, id);
  return max;
}

/** Human form of a type, as Iceberg prints it: `struct<1: a: required int>`, `list<string>`, … */
export function typeToString(t: IcebergType): string {
  if (typeof t === 'string') return t;
  if (t.type === 'struct')
    return `struct<${t.fields.map((f) => `${f.id}: ${f.name}: ${f.required ? 'required' : 'optional'} ${typeToString(f.type)}`).join(', ')}>`;
  if (t.type === 'list') return `list<${typeToString(t.element)}>`;
  return `map<${typeToString(t.key)}, ${typeToString(t.value)}>`;
}

export function schemaToString(s: Schema): string {
  return `table {\n${s.fields.map((f) => `  ${f.id}: ${f.name}: ${f.required ? 'required' : 'optional'} ${typeToString(f.type)}`).join('\n')}\n}`;
}

/**
 * Whether data of type `from` may be read as `to` (spec "Schema Evolution": int→long,
 * float→double, decimal(P,S)→decimal(P',S) with P' ≥ P, and v3 date→timestamp(_ns)).
 */
export function isPromotionAllowed(from: IcebergType, to: IcebergType): boolean {
  if (from === to) return true;
  if (typeof from !== 'string' || typeof to !== 'string') return false;
  if (from === 'int' && to === 'long') return true;
  if (from === 'float' && to === 'double') return true;
  const a = decimalParams(from);
  const b = decimalParams(to);
  if (a && b) return a.scale === b.scale && b.precision >= a.precision;
  return false;
}

/** Builder helpers so callers can write schemas without the JSON form. */
export const T = {
  struct: (fields: NestedField[]): StructType => ({ type: 'struct', fields }),
  list: (elementId: number, element: IcebergType, elementRequired = false): ListType => ({
    type: 'list',
    elementId,
    element,
    elementRequired,
  }),
  map: (
    keyId: number,
    key: IcebergType,
    valueId: number,
    value: IcebergType,
    valueRequired = false,
  ): MapType => ({
    type: 'map',
    keyId,
    key,
    valueId,
    value,
    valueRequired,
  }),
  decimal: (p: number, s: number): PrimitiveType => `decimal(${p}, ${s})`,
  fixed: (l: number): PrimitiveType => `fixed[${l}]`,
};

/** `required(id, name, type)` / `optional(id, name, type)` as in the Java and Python APIs. */
export function required(id: number, name: string, type: IcebergType, doc?: string): NestedField {
  return doc === undefined ? { id, name, required: true, type } : { id, name, required: true, type, doc };
}
export function optional(id: number, name: string, type: IcebergType, doc?: string): NestedField {
  return doc === undefined ? { id, name, required: false, type } : { id, name, required: false, type, doc };
}

export function makeSchema(fields: NestedField[], schemaId = 0, identifierFieldIds: number[] = []): Schema {
  const s: Schema = { schemaId, fields, identifierFieldIds };
  indexById(s);
  return s;
}
