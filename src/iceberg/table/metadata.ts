/**
 * Table metadata (spec "Table Metadata" and Appendix C): partition specs, sort orders, snapshots,
 * refs and the metadata file itself, for format versions 1 and 2 (read and write) and 3 (read,
 * refusing features lakekit cannot honour, such as encryption keys). Snapshot ids are 64-bit and
 * routinely exceed 2^53, so metadata JSON is parsed losslessly into `bigint` and written back with
 * `JSON.rawJSON`.
 */
import { protocolError, validationError } from './errors.js';
import {
  canTransform,
  defaultPartitionName,
  parseTransform,
  resultType,
  type Transform,
  transformToString,
} from './transforms.js';
import {
  fieldById,
  isPrimitive,
  type NestedField,
  type PrimitiveType,
  type Schema,
  schemaFromJson,
  schemaToJson,
} from './types.js';

export interface PartitionField {
  sourceId: number;
  fieldId: number;
  name: string;
  transform: Transform;
}
export interface PartitionSpec {
  specId: number;
  fields: PartitionField[];
}
export interface SortField {
  sourceId: number;
  transform: Transform;
  direction: 'asc' | 'desc';
  nullOrder: 'nulls-first' | 'nulls-last';
}
export interface SortOrder {
  orderId: number;
  fields: SortField[];
}
export interface Snapshot {
  snapshotId: bigint;
  parentSnapshotId?: bigint;
  sequenceNumber: number;
  timestampMs: number;
  manifestList: string;
  /** `operation` plus the string properties (added-records, total-data-files, …). */
  summary: { operation: string } & Record<string, string>;
  schemaId?: number;
}
export interface SnapshotRef {
  snapshotId: bigint;
  type: 'branch' | 'tag';
  maxRefAgeMs?: number;
  maxSnapshotAgeMs?: number;
  minSnapshotsToKeep?: number;
}
export interface TableMetadata {
  formatVersion: 1 | 2 | 3;
  tableUuid: string;
  location: string;
  lastSequenceNumber: number;
  lastUpdatedMs: number;
  lastColumnId: number;
  schemas: Schema[];
  currentSchemaId: number;
  partitionSpecs: PartitionSpec[];
  defaultSpecId: number;
  lastPartitionId: number;
  properties: Record<string, string>;
  currentSnapshotId?: bigint;
  snapshots: Snapshot[];
  snapshotLog: { timestampMs: number; snapshotId: bigint }[];
  metadataLog: { timestampMs: number; metadataFile: string }[];
  sortOrders: SortOrder[];
  defaultSortOrderId: number;
  refs: Record<string, SnapshotRef>;
}

type Json = Record<string, unknown>;

/**
 * `JSON.parse` that keeps integers beyond 2^53 exact (as bigint), using the reviver's source text
 * (ES2025 "JSON.parse source text access", Node ≥ 21).
 */
export function parseJsonLossless(text: string): unknown {
  return JSON.parse(text, (_key, value, ctx?: { source?: string }) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && ctx?.source && /^-?\d+$/.test(ctx.source)
      ? BigInt(ctx.source)
      : value,
  );
}

declare global {
  interface JSON {
    rawJSON(text: string): unknown;
  }
}

/** `JSON.stringify` that writes bigints as plain JSON numbers (snapshot ids are 64-bit longs). */
export function stringifyJson(value: unknown, space?: number): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? JSON.rawJSON(v.toString()) : v), space);
}

function bad(where: string, what: string): never {
  throw protocolError('MalformedMetadata', `${where}: ${what}`);
}
function int(o: Json, key: string, where: string, dflt?: number): number {
  const v = o[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER))
    return Number(v);
  return bad(
    where,
    `"${key}" must be an integer (got ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)})`,
  );
}
function long(v: unknown, where: string, key: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  return bad(where, `"${key}" must be a long`);
}
function str(o: Json, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string') bad(where, `"${key}" must be a string`);
  return v as string;
}
function arr(o: Json, key: string, where: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) bad(where, `"${key}" must be an array`);
  return v as unknown[];
}
function obj(v: unknown, where: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(where, 'must be an object');
  return v as Json;
}

export function partitionSpecFromJson(raw: unknown, where: string): PartitionSpec {
  const o = obj(raw, where);
  return {
    specId: int(o, 'spec-id', where, 0),
    fields: arr(o, 'fields', where).map((f, i) =>
      partitionFieldFromJson(f, `${where}.fields[${i}]`, 1000 + i),
    ),
  };
}
function partitionFieldFromJson(raw: unknown, where: string, dfltId: number): PartitionField {
  const o = obj(raw, where);
  const sourceId = Array.isArray(o['source-ids'])
    ? Number((o['source-ids'] as unknown[])[0])
    : int(o, 'source-id', where);
  if (Array.isArray(o['source-ids']) && (o['source-ids'] as unknown[]).length !== 1)
    throw protocolError('UnsupportedFeature', `${where}: multi-argument transforms (v3) are not supported`);
  return {
    sourceId,
    // v1 specs may omit field ids; spec Appendix C assigns 1000, 1001, … in order.
    fieldId: int(o, 'field-id', where, dfltId),
    name: str(o, 'name', where),
    transform: parseTransformAt(str(o, 'transform', where), where),
  };
}
function parseTransformAt(t: string, where: string): Transform {
  try {
    return parseTransform(t);
  } catch (e) {
    throw protocolError('UnknownTransform', `${where}: unknown transform ${JSON.stringify(t)}`, e);
  }
}
export function partitionSpecToJson(s: PartitionSpec): Json {
  return {
    'spec-id': s.specId,
    fields: s.fields.map((f) => ({
      'source-id': f.sourceId,
      'field-id': f.fieldId,
      name: f.name,
      transform: transformToString(f.transform),
    })),
  };
}

export function sortOrderFromJson(raw: unknown, where: string): SortOrder {
  const o = obj(raw, where);
  return {
    orderId: int(o, 'order-id', where),
    fields: arr(o, 'fields', where).map((f, i) => {
      const w = `${where}.fields[${i}]`;
      const so = obj(f, w);
      const dir = str(so, 'direction', w);
      const nulls = str(so, 'null-order', w);
      if (dir !== 'asc' && dir !== 'desc') bad(w, `direction ${dir}`);
      if (nulls !== 'nulls-first' && nulls !== 'nulls-last') bad(w, `null-order ${nulls}`);
      return {
        sourceId: Array.isArray(so['source-ids'])
          ? Number((so['source-ids'] as unknown[])[0])
          : int(so, 'source-id', w),
        transform: parseTransformAt(str(so, 'transform', w), w),
        direction: dir as 'asc' | 'desc',
        nullOrder: nulls as 'nulls-first' | 'nulls-last',
      };
    }),
  };
}
export function sortOrderToJson(s: SortOrder): Json {
  return {
    'order-id': s.orderId,
    fields: s.fields.map((f) => ({
      'source-id': f.sourceId,
      transform: transformToString(f.transform),
      direction: f.direction,
      'null-order': f.nullOrder,
    })),
  };
}

export function snapshotFromJson(raw: unknown, where: string): Snapshot {
  const o = obj(raw, where);
  if (typeof o['manifest-list'] !== 'string') {
    // v1 allowed an inline `manifests` list instead of a manifest list file.
    if (Array.isArray(o.manifests))
      throw protocolError(
        'UnsupportedFeature',
        `${where}: v1 snapshots with inline "manifests" are not supported`,
      );
    bad(where, '"manifest-list" must be a string');
  }
  const summaryRaw = o.summary === undefined ? { operation: 'append' } : obj(o.summary, `${where}.summary`);
  const summary: Record<string, string> = {};
  for (const [k, v] of Object.entries(summaryRaw)) summary[k] = String(v);
  const s: Snapshot = {
    snapshotId: long(o['snapshot-id'], where, 'snapshot-id'),
    sequenceNumber: int(o, 'sequence-number', where, 0),
    timestampMs: int(o, 'timestamp-ms', where),
    manifestList: o['manifest-list'] as string,
    summary: { operation: summary.operation ?? 'append', ...summary },
  };
  if (o['parent-snapshot-id'] !== undefined && o['parent-snapshot-id'] !== null)
    s.parentSnapshotId = long(o['parent-snapshot-id'], where, 'parent-snapshot-id');
  if (typeof o['schema-id'] === 'number') s.schemaId = o['schema-id'];
  return s;
}
export function snapshotToJson(s: Snapshot): Json {
  const o: Json = {
    'snapshot-id': s.snapshotId,
    'sequence-number': s.sequenceNumber,
    'timestamp-ms': s.timestampMs,
    'manifest-list': s.manifestList,
    summary: s.summary,
  };
  if (s.parentSnapshotId !== undefined) o['parent-snapshot-id'] = s.parentSnapshotId;
  if (s.schemaId !== undefined) o['schema-id'] = s.schemaId;
  return o;
}

/** Parses a metadata file; `file` names it in errors. */
export function parseTableMetadata(text: string, file = 'metadata.json'): TableMetadata {
  let raw: unknown;
  try {
    raw = parseJsonLossless(text);
  } catch (e) {
    throw protocolError('MalformedMetadata', `${file}: not valid JSON (${(e as Error).message})`, e);
  }
  return tableMetadataFromJson(raw, file);
}

/** Builds the model from parsed metadata JSON (e.g. the `metadata` of a LoadTable response). */
export function tableMetadataFromJson(raw: unknown, file = 'metadata'): TableMetadata {
  const o = obj(raw, file);
  const fv = o['format-version'];
  if (fv !== 1 && fv !== 2 && fv !== 3)
    throw protocolError(
      'UnsupportedFormatVersion',
      `${file}: format-version ${JSON.stringify(fv)} is not supported (lakekit reads 1, 2 and 3)`,
    );
  // v3 features lakekit cannot honour are refused rather than silently misread.
  if (Array.isArray(o['encryption-keys']) && o['encryption-keys'].length > 0)
    throw protocolError(
      'UnsupportedFeature',
      `${file}: encrypted tables (encryption-keys) are not supported`,
    );

  const schemas =
    o.schemas !== undefined
      ? arr(o, 'schemas', file).map((s, i) => schemaFromJson(s, `${file}: schemas[${i}]`))
      : [schemaFromJson(o.schema, `${file}: schema`)];
  const currentSchemaId =
    o['current-schema-id'] !== undefined ? int(o, 'current-schema-id', file) : (schemas[0]?.schemaId ?? 0);
  if (!schemas.some((s) => s.schemaId === currentSchemaId))
    bad(file, `current-schema-id ${currentSchemaId} has no schema`);

  const specs =
    o['partition-specs'] !== undefined
      ? arr(o, 'partition-specs', file).map((s, i) =>
          partitionSpecFromJson(s, `${file}: partition-specs[${i}]`),
        )
      : [
          partitionSpecFromJson(
            { 'spec-id': 0, fields: o['partition-spec'] ?? [] },
            `${file}: partition-spec`,
          ),
        ];
  const defaultSpecId = int(o, 'default-spec-id', file, specs[0]?.specId ?? 0);
  const lastPartitionId = int(
    o,
    'last-partition-id',
    file,
    Math.max(999, ...specs.flatMap((s) => s.fields.map((f) => f.fieldId))),
  );
  const sortOrders =
    o['sort-orders'] !== undefined
      ? arr(o, 'sort-orders', file).map((s, i) => sortOrderFromJson(s, `${file}: sort-orders[${i}]`))
      : [{ orderId: 0, fields: [] }];
  const snapshots = (o.snapshots === undefined || o.snapshots === null ? [] : arr(o, 'snapshots', file)).map(
    (s, i) => snapshotFromJson(s, `${file}: snapshots[${i}]`),
  );
  const cur = o['current-snapshot-id'];
  const currentSnapshotId =
    cur === undefined || cur === null || cur === -1 || cur === -1n
      ? undefined
      : long(cur, file, 'current-snapshot-id');
  const refs: Record<string, SnapshotRef> = {};
  if (o.refs !== undefined && o.refs !== null) {
    for (const [name, r] of Object.entries(obj(o.refs, `${file}: refs`))) {
      const w = `${file}: refs.${name}`;
      const ro = obj(r, w);
      const type = str(ro, 'type', w);
      if (type !== 'branch' && type !== 'tag') bad(w, `type ${type}`);
      const ref: SnapshotRef = {
        snapshotId: long(ro['snapshot-id'], w, 'snapshot-id'),
        type: type as 'branch' | 'tag',
      };
      if (typeof ro['max-ref-age-ms'] === 'number') ref.maxRefAgeMs = ro['max-ref-age-ms'];
      if (typeof ro['max-snapshot-age-ms'] === 'number') ref.maxSnapshotAgeMs = ro['max-snapshot-age-ms'];
      if (typeof ro['min-snapshots-to-keep'] === 'number')
        ref.minSnapshotsToKeep = ro['min-snapshots-to-keep'];
      refs[name] = ref;
    }
  }
  // Spec: when refs is absent and a current snapshot exists, `main` points at it.
  if (refs.main === undefined && currentSnapshotId !== undefined)
    refs.main = { snapshotId: currentSnapshotId, type: 'branch' };
  const properties: Record<string, string> = {};
  if (o.properties)
    for (const [k, v] of Object.entries(obj(o.properties, `${file}: properties`))) properties[k] = String(v);

  const md: TableMetadata = {
    formatVersion: fv,
    tableUuid: fv === 1 && o['table-uuid'] === undefined ? '' : str(o, 'table-uuid', file),
    location: str(o, 'location', file),
    lastSequenceNumber: fv === 1 ? 0 : int(o, 'last-sequence-number', file),
    lastUpdatedMs: int(o, 'last-updated-ms', file),
    lastColumnId: int(o, 'last-column-id', file),
    schemas,
    currentSchemaId,
    partitionSpecs: specs,
    defaultSpecId,
    lastPartitionId,
    properties,
    snapshots,
    snapshotLog: (Array.isArray(o['snapshot-log']) ? o['snapshot-log'] : []).map((e, i) => {
      const eo = obj(e, `${file}: snapshot-log[${i}]`);
      return {
        timestampMs: int(eo, 'timestamp-ms', file),
        snapshotId: long(eo['snapshot-id'], file, 'snapshot-id'),
      };
    }),
    metadataLog: (Array.isArray(o['metadata-log']) ? o['metadata-log'] : []).map((e, i) => {
      const eo = obj(e, `${file}: metadata-log[${i}]`);
      return { timestampMs: int(eo, 'timestamp-ms', file), metadataFile: str(eo, 'metadata-file', file) };
    }),
    sortOrders,
    defaultSortOrderId: int(o, 'default-sort-order-id', file, sortOrders[0]?.orderId ?? 0),
    refs,
  };
  if (currentSnapshotId !== undefined) md.currentSnapshotId = currentSnapshotId;
  if (currentSnapshotId !== undefined && !snapshots.some((s) => s.snapshotId === currentSnapshotId))
    bad(file, `current-snapshot-id ${currentSnapshotId} is not among the snapshots`);
  for (const spec of specs) validateSpec(spec, schemaOf(md), file);
  return md;
}

/** Checks each partition field's source column exists (or was dropped: then void-like) and fits the transform. */
export function validateSpec(spec: PartitionSpec, schema: Schema, where: string): void {
  for (const f of spec.fields) {
    let src: NestedField;
    try {
      src = fieldById(schema, f.sourceId).field;
    } catch {
      continue; // source column dropped later: old specs stay readable, the field just cannot prune.
    }
    if (!isPrimitive(src.type) || !canTransform(f.transform, src.type))
      throw protocolError(
        'InvalidPartitionSpec',
        `${where}: partition field ${f.name} applies ${transformToString(f.transform)} to column ${src.name} of type ${typeof src.type === 'string' ? src.type : src.type.type}`,
      );
  }
}

export function tableMetadataToJson(md: TableMetadata): Json {
  if (md.formatVersion === 3)
    throw validationError('UnsupportedFormatVersion', 'lakekit writes format v1 and v2 metadata only');
  const o: Json = {
    'format-version': md.formatVersion,
    'table-uuid': md.tableUuid,
    location: md.location,
    'last-updated-ms': md.lastUpdatedMs,
    'last-column-id': md.lastColumnId,
    schemas: md.schemas.map(schemaToJson),
    'current-schema-id': md.currentSchemaId,
    'partition-specs': md.partitionSpecs.map(partitionSpecToJson),
    'default-spec-id': md.defaultSpecId,
    'last-partition-id': md.lastPartitionId,
    properties: md.properties,
    'current-snapshot-id': md.currentSnapshotId ?? -1,
    snapshots: md.snapshots.map(snapshotToJson),
    'snapshot-log': md.snapshotLog.map((e) => ({
      'timestamp-ms': e.timestampMs,
      'snapshot-id': e.snapshotId,
    })),
    'metadata-log': md.metadataLog.map((e) => ({
      'timestamp-ms': e.timestampMs,
      'metadata-file': e.metadataFile,
    })),
    'sort-orders': md.sortOrders.map(sortOrderToJson),
    'default-sort-order-id': md.defaultSortOrderId,
    refs: Object.fromEntries(
      Object.entries(md.refs).map(([k, r]) => [
        k,
        {
          'snapshot-id': r.snapshotId,
          type: r.type,
          ...(r.maxRefAgeMs === undefined ? {} : { 'max-ref-age-ms': r.maxRefAgeMs }),
          ...(r.maxSnapshotAgeMs === undefined ? {} : { 'max-snapshot-age-ms': r.maxSnapshotAgeMs }),
          ...(r.minSnapshotsToKeep === undefined ? {} : { 'min-snapshots-to-keep': r.minSnapshotsToKeep }),
        },
      ]),
    ),
  };
  if (md.formatVersion === 1) {
    // v1 writers also write the single `schema` and `partition-spec` fields (spec Appendix C).
    o.schema = schemaToJson(schemaOf(md));
    o['partition-spec'] = (partitionSpecToJson(specOf(md)).fields as unknown[]) ?? [];
  } else {
    o['last-sequence-number'] = md.lastSequenceNumber;
  }
  return o;
}

export function schemaOf(md: TableMetadata, schemaId = md.currentSchemaId): Schema {
  const s = md.schemas.find((x) => x.schemaId === schemaId);
  if (!s) throw protocolError('MalformedMetadata', `table ${md.location}: no schema with id ${schemaId}`);
  return s;
}
export function specOf(md: TableMetadata, specId = md.defaultSpecId): PartitionSpec {
  const s = md.partitionSpecs.find((x) => x.specId === specId);
  if (!s)
    throw protocolError('MalformedMetadata', `table ${md.location}: no partition spec with id ${specId}`);
  return s;
}
export function sortOrderOf(md: TableMetadata, orderId = md.defaultSortOrderId): SortOrder {
  return md.sortOrders.find((x) => x.orderId === orderId) ?? { orderId: 0, fields: [] };
}

export function snapshotById(md: TableMetadata, id: bigint): Snapshot {
  const s = md.snapshots.find((x) => x.snapshotId === id);
  if (!s) throw validationError('NoSuchSnapshot', `table ${md.location} has no snapshot ${id}`);
  return s;
}
export function currentSnapshot(md: TableMetadata): Snapshot | undefined {
  return md.currentSnapshotId === undefined ? undefined : snapshotById(md, md.currentSnapshotId);
}
/** The snapshot that was current at `timestampMs` (spec: the last snapshot-log entry at or before it). */
export function snapshotAsOf(md: TableMetadata, timestampMs: number): Snapshot {
  let found: bigint | undefined;
  for (const e of md.snapshotLog) if (e.timestampMs <= timestampMs) found = e.snapshotId;
  if (found === undefined) {
    for (const s of md.snapshots) if (s.timestampMs <= timestampMs) found = s.snapshotId;
  }
  if (found === undefined)
    throw validationError(
      'NoSuchSnapshot',
      `table ${md.location} has no snapshot at or before ${new Date(timestampMs).toISOString()}`,
    );
  return snapshotById(md, found);
}
export function snapshotByRef(md: TableMetadata, ref: string): Snapshot {
  const r = md.refs[ref];
  if (!r)
    throw validationError('NoSuchRef', `table ${md.location} has no branch or tag ${JSON.stringify(ref)}`);
  return snapshotById(md, r.snapshotId);
}
/** Ancestors of a snapshot, newest first, including itself. */
export function ancestorsOf(md: TableMetadata, id: bigint | undefined): Snapshot[] {
  const out: Snapshot[] = [];
  const byId = new Map(md.snapshots.map((s) => [s.snapshotId, s]));
  let cur = id === undefined ? undefined : byId.get(id);
  while (cur) {
    out.push(cur);
    cur = cur.parentSnapshotId === undefined ? undefined : byId.get(cur.parentSnapshotId);
  }
  return out;
}

/** The partition struct type of a spec against a schema (spec "Partitioning"). */
export function partitionType(
  spec: PartitionSpec,
  schema: Schema,
): { field: PartitionField; type: PrimitiveType; sourceType?: PrimitiveType }[] {
  return spec.fields.map((f) => {
    let src: NestedField | undefined;
    try {
      src = fieldById(schema, f.sourceId).field;
    } catch {
      src = undefined;
    }
    if (!src) return { field: f, type: 'int' }; // dropped source: only void makes sense; values stay null
    const st = src.type as PrimitiveType;
    return { field: f, type: resultType(f.transform, st), sourceType: st };
  });
}

/** Builds a partition spec from `[column, transform]` pairs, naming fields as Java/PyIceberg do. */
export function buildPartitionSpec(
  schema: Schema,
  fields: { source: string; transform: string; name?: string }[],
  specId = 0,
  firstFieldId = 1000,
): PartitionSpec {
  return {
    specId,
    fields: fields.map((f, i) => {
      const src = schema.fields.find((x) => x.name === f.source);
      if (!src)
        throw validationError(
          'UnknownColumn',
          `partition source column ${JSON.stringify(f.source)} is not in the schema`,
        );
      const transform = parseTransform(f.transform);
      if (!isPrimitive(src.type) || !canTransform(transform, src.type))
        throw validationError('InvalidPartitionSpec', `cannot apply ${f.transform} to column ${f.source}`);
      return {
        sourceId: src.id,
        fieldId: firstFieldId + i,
        name: f.name ?? defaultPartitionName(transform, src.name),
        transform,
      };
    }),
  };
}
