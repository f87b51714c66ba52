/**
 * Manifest lists and manifest files (spec "Manifests" and "Manifest Lists"): the in-memory model,
 * the v1 and v2 Avro schemas with their field ids, reading (with sequence-number and snapshot-id
 * inheritance, spec "Sequence Number Inheritance") and writing. Partition tuples are typed by the
 * partition spec; bounds stay in their binary single-value form (values.ts) until a filter needs them.
 */
import { avroType, readAvroFile, writeAvroFile } from './avro.js';
import { protocolError } from './errors.js';
import { type PartitionSpec, partitionSpecToJson, partitionType } from './metadata.js';
import { decimalParams, fixedLength, type PrimitiveType, type Schema, schemaToJson } from './types.js';
import {
  bytesToUuid,
  compareValues as cmp,
  deserializeValue,
  type IcebergValue,
  serializeValue,
  uuidToBytes,
} from './values.js';

export enum FileContent {
  Data = 0,
  PositionDeletes = 1,
  EqualityDeletes = 2,
}
export enum EntryStatus {
  Existing = 0,
  Added = 1,
  Deleted = 2,
}

export interface DataFile {
  content: FileContent;
  filePath: string;
  fileFormat: string;
  /** Partition values in the order of the spec's fields. */
  partition: (IcebergValue | null)[];
  specId: number;
  recordCount: number;
  fileSizeInBytes: number;
  columnSizes?: Map<number, number>;
  valueCounts?: Map<number, number>;
  nullValueCounts?: Map<number, number>;
  nanValueCounts?: Map<number, number>;
  lowerBounds?: Map<number, Uint8Array>;
  upperBounds?: Map<number, Uint8Array>;
  splitOffsets?: number[];
  equalityIds?: number[];
  sortOrderId?: number;
}

export interface ManifestEntry {
  status: EntryStatus;
  snapshotId: bigint;
  /** Data sequence number after inheritance. */
  sequenceNumber: number;
  fileSequenceNumber: number;
  dataFile: DataFile;
}

export interface FieldSummary {
  containsNull: boolean;
  containsNan?: boolean;
  lowerBound?: Uint8Array;
  upperBound?: Uint8Array;
}

export interface ManifestFile {
  manifestPath: string;
  manifestLength: number;
  partitionSpecId: number;
  content: 0 | 1;
  sequenceNumber: number;
  minSequenceNumber: number;
  addedSnapshotId: bigint;
  addedFilesCount: number;
  existingFilesCount: number;
  deletedFilesCount: number;
  addedRowsCount: number;
  existingRowsCount: number;
  deletedRowsCount: number;
  partitions?: FieldSummary[];
}

// ---------------------------------------------------------------------------------------------
// Avro schemas (spec tables in "Manifests" / "Manifest Lists"; field ids are part of the format).

function partitionAvroType(t: PrimitiveType, fieldId: number): unknown {
  switch (t) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return t;
    case 'binary':
      return 'bytes';
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    case 'timestamp_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': false };
    case 'timestamptz_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': true };
    case 'uuid':
      return { type: 'fixed', name: `uuid_fixed_${fieldId}`, size: 16, logicalType: 'uuid' };
  }
  const len = fixedLength(t);
  if (len !== undefined) return { type: 'fixed', name: `fixed_${fieldId}`, size: len };
  const d = decimalParams(t);
  if (d)
    return {
      type: 'fixed',
      name: `decimal_${fieldId}`,
      size: decimalBytes(d.precision),
      logicalType: 'decimal',
      precision: d.precision,
      scale: d.scale,
    };
  throw protocolError('UnsupportedType', `partition field ${fieldId}: type ${t} has no Avro form`);
}

/** Minimum bytes for a decimal of this precision (spec Appendix A, Avro decimal). */
function decimalBytes(precision: number): number {
  let n = 1;
  while (10n ** BigInt(precision) > 2n ** BigInt(8 * n - 1)) n++;
  return n;
}

export function partitionRecordSchema(spec: PartitionSpec, schema: Schema): unknown {
  return {
    type: 'record',
    name: 'r102',
    fields: partitionType(spec, schema).map(({ field, type }) => ({
      name: field.name,
      type: ['null', partitionAvroType(type, field.fieldId)],
      default: null,
      'field-id': field.fieldId,
    })),
  };
}

function kv(name: string, keyId: number, valueId: number, value: string, fieldId: number, doc: string) {
  return {
    name,
    type: [
      'null',
      {
        type: 'array',
        items: {
          type: 'record',
          name: `k${keyId}_v${valueId}`,
          fields: [
            { name: 'key', type: 'int', 'field-id': keyId },
            { name: 'value', type: value, 'field-id': valueId },
          ],
        },
        logicalType: 'map',
      },
    ],
    default: null,
    doc,
    'field-id': fieldId,
  };
}
const opt = (name: string, type: unknown, fieldId: number, extra: Record<string, unknown> = {}) => ({
  name,
  type: ['null', type],
  default: null,
  'field-id': fieldId,
  ...extra,
});

export function manifestEntrySchema(version: 1 | 2, partition: unknown): unknown {
  const dataFileFields: unknown[] = [];
  if (version === 2) dataFileFields.push({ name: 'content', type: 'int', 'field-id': 134 });
  dataFileFields.push(
    { name: 'file_path', type: 'string', 'field-id': 100 },
    { name: 'file_format', type: 'string', 'field-id': 101 },
    { name: 'partition', type: partition, 'field-id': 102 },
    { name: 'record_count', type: 'long', 'field-id': 103 },
    { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
  );
  // v1 required block_size_in_bytes; Java wrote 64 MiB, readers ignore it.
  if (version === 1) dataFileFields.push({ name: 'block_size_in_bytes', type: 'long', 'field-id': 105 });
  dataFileFields.push(
    kv('column_sizes', 117, 118, 'long', 108, 'Map of column id to total size on disk'),
    kv('value_counts', 119, 120, 'long', 109, 'Map of column id to total count, including null and NaN'),
    kv('null_value_counts', 121, 122, 'long', 110, 'Map of column id to null value count'),
    kv('nan_value_counts', 138, 139, 'long', 137, 'Map of column id to number of NaN values in the column'),
    kv('lower_bounds', 126, 127, 'bytes', 125, 'Map of column id to lower bound'),
    kv('upper_bounds', 129, 130, 'bytes', 128, 'Map of column id to upper bound'),
    opt('key_metadata', 'bytes', 131),
    opt('split_offsets', { type: 'array', items: 'long', 'element-id': 133 }, 132),
  );
  if (version === 2)
    dataFileFields.push(opt('equality_ids', { type: 'array', items: 'int', 'element-id': 136 }, 135));
  dataFileFields.push(opt('sort_order_id', 'int', 140));
  const fields: unknown[] = [{ name: 'status', type: 'int', 'field-id': 0 }];
  if (version === 1) fields.push({ name: 'snapshot_id', type: 'long', 'field-id': 1 });
  else
    fields.push(
      opt('snapshot_id', 'long', 1),
      opt('sequence_number', 'long', 3),
      opt('file_sequence_number', 'long', 4),
    );
  fields.push({
    name: 'data_file',
    type: { type: 'record', name: 'r2', fields: dataFileFields },
    'field-id': 2,
  });
  return { type: 'record', name: 'manifest_entry', fields };
}

export function manifestListSchema(version: 1 | 2): unknown {
  const summary = {
    type: 'array',
    items: {
      type: 'record',
      name: 'r508',
      fields: [
        { name: 'contains_null', type: 'boolean', 'field-id': 509 },
        opt('contains_nan', 'boolean', 518),
        opt('lower_bound', 'bytes', 510),
        opt('upper_bound', 'bytes', 511),
      ],
    },
    'element-id': 508,
  };
  const fields: unknown[] = [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
  ];
  if (version === 2)
    fields.push(
      { name: 'content', type: 'int', 'field-id': 517 },
      { name: 'sequence_number', type: 'long', 'field-id': 515 },
      { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
      { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
      { name: 'added_files_count', type: 'int', 'field-id': 504 },
      { name: 'existing_files_count', type: 'int', 'field-id': 505 },
      { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
      { name: 'added_rows_count', type: 'long', 'field-id': 512 },
      { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
      { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    );
  else
    fields.push(
      { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
      opt('added_files_count', 'int', 504),
      opt('existing_files_count', 'int', 505),
      opt('deleted_files_count', 'int', 506),
      opt('added_rows_count', 'long', 512),
      opt('existing_rows_count', 'long', 513),
      opt('deleted_rows_count', 'long', 514),
    );
  fields.push(opt('partitions', summary, 507), opt('key_metadata', 'bytes', 519));
  return { type: 'record', name: 'manifest_file', fields };
}

// ---------------------------------------------------------------------------------------------
// Conversions between Avro values and the model.

const n = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : (v as number));
const u8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();

function mapFromAvro<V>(v: unknown, conv: (x: unknown) => V): Map<number, V> | undefined {
  if (v === null || v === undefined) return undefined;
  const m = new Map<number, V>();
  for (const e of v as { key: number; value: unknown }[]) m.set(e.key, conv(e.value));
  return m;
}
function mapToAvro<V>(m: Map<number, V> | undefined, conv: (x: V) => unknown): unknown {
  if (!m) return null;
  return [...m].map(([key, value]) => ({ key, value: conv(value) }));
}

function partitionValueFromAvro(t: PrimitiveType, v: unknown): IcebergValue | null {
  if (v === null || v === undefined) return null;
  if (t === 'uuid') return bytesToUuid(v as Buffer);
  if (decimalParams(t)) return deserializeValue(t, v as Buffer);
  if (t === 'binary' || fixedLength(t) !== undefined) return u8(v as Buffer);
  if (t === 'int' || t === 'date') return n(v);
  if (typeof v === 'bigint' || typeof v === 'number') {
    if (t === 'float' || t === 'double') return Number(v);
    return BigInt(v);
  }
  return v as IcebergValue;
}
function partitionValueToAvro(t: PrimitiveType, v: IcebergValue | null): unknown {
  if (v === null) return null;
  if (t === 'uuid') return Buffer.from(uuidToBytes(v as string));
  const d = decimalParams(t);
  if (d) {
    // Avro fixed decimals are sign-extended to the full fixed size.
    const min = serializeValue(t, v);
    const size = decimalBytes(d.precision);
    const out = Buffer.alloc(size, ((min[0] ?? 0) & 0x80) !== 0 ? 0xff : 0);
    out.set(min, size - min.length);
    return out;
  }
  if (v instanceof Uint8Array) return Buffer.from(v);
  return v;
}

/** Reads a manifest list; entries keep v1 defaults filled in (spec "Manifest Lists", v1 → v2). */
export function readManifestList(bytes: Uint8Array, file: string): ManifestFile[] {
  const { records } = readAvroFile(bytes, file);
  return records.map((r, i) => {
    if (typeof r.manifest_path !== 'string')
      throw protocolError(
        'MalformedManifest',
        `${file}: record ${i} is not a manifest_file (no manifest_path)`,
      );
    const parts = r.partitions as Record<string, unknown>[] | null | undefined;
    const m: ManifestFile = {
      manifestPath: r.manifest_path,
      manifestLength: n(r.manifest_length),
      partitionSpecId: n(r.partition_spec_id ?? 0),
      content: n(r.content ?? 0) === 1 ? 1 : 0,
      sequenceNumber: n(r.sequence_number ?? 0n),
      minSequenceNumber: n(r.min_sequence_number ?? 0n),
      addedSnapshotId: BigInt((r.added_snapshot_id as bigint | null) ?? 0n),
      addedFilesCount: n(r.added_files_count ?? 0),
      existingFilesCount: n(r.existing_files_count ?? 0),
      deletedFilesCount: n(r.deleted_files_count ?? 0),
      addedRowsCount: n(r.added_rows_count ?? 0n),
      existingRowsCount: n(r.existing_rows_count ?? 0n),
      deletedRowsCount: n(r.deleted_rows_count ?? 0n),
    };
    if (parts)
      m.partitions = parts.map((p) => {
        const s: FieldSummary = { containsNull: p.contains_null === true };
        if (typeof p.contains_nan === 'boolean') s.containsNan = p.contains_nan;
        if (p.lower_bound) s.lowerBound = u8(p.lower_bound as Buffer);
        if (p.upper_bound) s.upperBound = u8(p.upper_bound as Buffer);
        return s;
      });
    return m;
  });
}

export function writeManifestList(
  version: 1 | 2,
  manifests: ManifestFile[],
  meta: { snapshotId: bigint; parentSnapshotId?: bigint; sequenceNumber: number },
): Uint8Array {
  const records = manifests.map((m) => ({
    manifest_path: m.manifestPath,
    manifest_length: BigInt(m.manifestLength),
    partition_spec_id: m.partitionSpecId,
    content: m.content,
    sequence_number: BigInt(m.sequenceNumber),
    min_sequence_number: BigInt(m.minSequenceNumber),
    added_snapshot_id: m.addedSnapshotId,
    added_files_count: m.addedFilesCount,
    existing_files_count: m.existingFilesCount,
    deleted_files_count: m.deletedFilesCount,
    added_rows_count: BigInt(m.addedRowsCount),
    existing_rows_count: BigInt(m.existingRowsCount),
    deleted_rows_count: BigInt(m.deletedRowsCount),
    partitions:
      m.partitions?.map((p) => ({
        contains_null: p.containsNull,
        contains_nan: p.containsNan ?? null,
        lower_bound: p.lowerBound ? Buffer.from(p.lowerBound) : null,
        upper_bound: p.upperBound ? Buffer.from(p.upperBound) : null,
      })) ?? null,
    key_metadata: null,
  }));
  const md: Record<string, string> = {
    'snapshot-id': meta.snapshotId.toString(),
    'parent-snapshot-id': meta.parentSnapshotId === undefined ? 'null' : meta.parentSnapshotId.toString(),
    'format-version': String(version),
  };
  if (version === 2) md['sequence-number'] = String(meta.sequenceNumber);
  return writeAvroFile(manifestListSchema(version), records, md);
}

/**
 * Reads a manifest's entries. `manifest` supplies the values entries inherit: snapshot id and, for
 * ADDED entries with a null sequence number, the manifest's sequence number (v1 files: 0).
 */
export function readManifest(
  bytes: Uint8Array,
  manifest: Pick<ManifestFile, 'manifestPath' | 'partitionSpecId' | 'sequenceNumber' | 'addedSnapshotId'>,
  spec: PartitionSpec,
  schema: Schema,
): ManifestEntry[] {
  const file = manifest.manifestPath;
  const { records } = readAvroFile(bytes, file);
  const ptypes = partitionType(spec, schema);
  return records.map((r, i) => {
    const df = r.data_file as Record<string, unknown> | undefined;
    if (!df || typeof df.file_path !== 'string')
      throw protocolError(
        'MalformedManifest',
        `${file}: record ${i} is not a manifest_entry (no data_file.file_path)`,
      );
    const part = (df.partition ?? {}) as Record<string, unknown>;
    const status = n(r.status) as EntryStatus;
    const seq =
      r.sequence_number === null || r.sequence_number === undefined
        ? manifest.sequenceNumber
        : n(r.sequence_number);
    const fseq =
      r.file_sequence_number === null || r.file_sequence_number === undefined
        ? manifest.sequenceNumber
        : n(r.file_sequence_number);
    const d: DataFile = {
      content: n(df.content ?? 0) as FileContent,
      filePath: df.file_path,
      fileFormat: String(df.file_format).toUpperCase(),
      partition: ptypes.map(({ field, type }) => partitionValueFromAvro(type, part[field.name])),
      specId: manifest.partitionSpecId,
      recordCount: n(df.record_count),
      fileSizeInBytes: n(df.file_size_in_bytes),
    };
    const cs = mapFromAvro(df.column_sizes, n);
    if (cs) d.columnSizes = cs;
    const vc = mapFromAvro(df.value_counts, n);
    if (vc) d.valueCounts = vc;
    const nc = mapFromAvro(df.null_value_counts, n);
    if (nc) d.nullValueCounts = nc;
    const nan = mapFromAvro(df.nan_value_counts, n);
    if (nan) d.nanValueCounts = nan;
    const lb = mapFromAvro(df.lower_bounds, (x) => u8(x as Buffer));
    if (lb) d.lowerBounds = lb;
    const ub = mapFromAvro(df.upper_bounds, (x) => u8(x as Buffer));
    if (ub) d.upperBounds = ub;
    if (Array.isArray(df.split_offsets)) d.splitOffsets = (df.split_offsets as bigint[]).map(n);
    if (Array.isArray(df.equality_ids)) d.equalityIds = (df.equality_ids as number[]).map(n);
    if (df.sort_order_id !== null && df.sort_order_id !== undefined) d.sortOrderId = n(df.sort_order_id);
    return {
      status,
      snapshotId:
        r.snapshot_id === null || r.snapshot_id === undefined
          ? manifest.addedSnapshotId
          : BigInt(r.snapshot_id as bigint),
      sequenceNumber: seq,
      fileSequenceNumber: fseq,
      dataFile: d,
    };
  });
}

/**
 * Writes a manifest. ADDED entries are written with null sequence numbers so they inherit the
 * sequence number the commit finally gets (spec "Sequence Number Inheritance"); EXISTING and
 * DELETED entries keep theirs.
 */
export function writeManifest(
  version: 1 | 2,
  entries: ManifestEntry[],
  spec: PartitionSpec,
  schema: Schema,
  content: 'data' | 'deletes' = 'data',
): Uint8Array {
  const partSchema = partitionRecordSchema(spec, schema);
  const ptypes = partitionType(spec, schema);
  const records = entries.map((e) => {
    const d = e.dataFile;
    const partition: Record<string, unknown> = {};
    ptypes.forEach(({ field, type }, i) => {
      partition[field.name] = partitionValueToAvro(type, d.partition[i] ?? null);
    });
    const inherit = e.status === EntryStatus.Added;
    return {
      status: e.status,
      snapshot_id: e.snapshotId,
      sequence_number: inherit ? null : BigInt(e.sequenceNumber),
      file_sequence_number: inherit ? null : BigInt(e.fileSequenceNumber),
      data_file: {
        content: d.content,
        file_path: d.filePath,
        file_format: d.fileFormat,
        partition,
        record_count: BigInt(d.recordCount),
        file_size_in_bytes: BigInt(d.fileSizeInBytes),
        block_size_in_bytes: 67108864n,
        column_sizes: mapToAvro(d.columnSizes, BigInt),
        value_counts: mapToAvro(d.valueCounts, BigInt),
        null_value_counts: mapToAvro(d.nullValueCounts, BigInt),
        nan_value_counts: mapToAvro(d.nanValueCounts, BigInt),
        lower_bounds: mapToAvro(d.lowerBounds, (b) => Buffer.from(b)),
        upper_bounds: mapToAvro(d.upperBounds, (b) => Buffer.from(b)),
        key_metadata: null,
        split_offsets: d.splitOffsets?.map(BigInt) ?? null,
        equality_ids: d.equalityIds ?? null,
        sort_order_id: d.sortOrderId ?? null,
      },
    };
  });
  const meta: Record<string, string> = {
    schema: JSON.stringify(schemaToJson(schema)),
    'schema-id': String(schema.schemaId),
    'partition-spec': JSON.stringify(partitionSpecToJson(spec).fields),
    'partition-spec-id': String(spec.specId),
    'format-version': String(version),
  };
  if (version === 2) meta.content = content;
  return writeAvroFile(manifestEntrySchema(version, partSchema), records, meta);
}

/** Partition field summaries for a manifest list entry (spec "Manifest Lists", field_summary). */
export function summarizePartitions(
  entries: ManifestEntry[],
  spec: PartitionSpec,
  schema: Schema,
): FieldSummary[] {
  const ptypes = partitionType(spec, schema);
  return ptypes.map(({ type }, i) => {
    let containsNull = false;
    let containsNan = false;
    let lo: IcebergValue | undefined;
    let hi: IcebergValue | undefined;
    for (const e of entries) {
      const v = e.dataFile.partition[i] ?? null;
      if (v === null) {
        containsNull = true;
        continue;
      }
      if (typeof v === 'number' && Number.isNaN(v)) {
        containsNan = true;
        continue;
      }
      if (lo === undefined || cmp(v, lo) < 0) lo = v;
      if (hi === undefined || cmp(v, hi) > 0) hi = v;
    }
    const s: FieldSummary = { containsNull, containsNan };
    if (lo !== undefined) s.lowerBound = serializeValue(type, lo);
    if (hi !== undefined) s.upperBound = serializeValue(type, hi);
    return s;
  });
}

/** Used by tests and tooling: decodes any record with the bigint-long registry. */
export { avroType };
