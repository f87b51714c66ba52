/**
 * Reading data files into Arrow: Parquet decoded by parquet-wasm (arrow-rs) with only the needed
 * columns, brought to the logical schema (column mapping, evolution, representation casts),
 * partition columns materialised as constants, deletion vectors and row filters applied by slicing
 * the batches into the runs of surviving rows (zero-copy in arrow-js). Files are fetched a few at a
 * time ahead of decoding so object-store latency overlaps with WebAssembly work.
 */
import {
  type Data,
  type DataType,
  Field,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Type,
  tableFromIPC,
  type Vector,
} from 'apache-arrow';
import { parquetMetadata } from 'hyparquet';
import type { DeletionVectorDescriptor } from './actions.js';
import { conformData, type FieldMatcher, nullData, sourceName } from './arrow-conform.js';
import { loadDeletionVector } from './deletion-vector.js';
import { DeltaError } from './errors.js';
import { type Comparable, evaluate, type Filter, normalizeValue } from './filter.js';
import {
  type ColumnMappingMode,
  type DeltaStructField,
  type PartitionScalar,
  toArrowField,
} from './schema.js';
import type { DeltaFile, SnapshotContext } from './snapshot.js';

export interface ReadOptions {
  /** Logical column names to return, in this order (default: all, schema order). */
  columns?: readonly string[];
  /** Rows must satisfy every predicate; also used to skip files. */
  filter?: Filter;
  signal?: AbortSignal;
  /** Files fetched ahead of decoding (default 4). */
  concurrency?: number;
}

/** What the reader needs to know about the table to read one of its files. */
export interface TableLayout {
  readonly version: number;
  readonly schema: { fields: DeltaStructField[] };
  readonly partitionColumns: readonly string[];
  readonly columnMapping: ColumnMappingMode;
  field(column: string): DeltaStructField;
}

export interface FileToRead {
  key: string;
  partitionValues: Readonly<Record<string, PartitionScalar>>;
  deletionVector?: DeletionVectorDescriptor | undefined;
  /** Keep exactly these row indexes (sorted) instead of applying the deletion vector. */
  selectRows?: Float64Array | undefined;
}

/** Extra physical columns carried through verbatim (e.g. `_change_type` of cdc files). */
export interface ExtraColumn {
  name: string;
  type: DataType;
}

/** Reads one data file: output batches follow `outputSchema` = wanted fields then extras. */
export async function readDataFile(
  ctx: SnapshotContext,
  layout: TableLayout,
  file: FileToRead,
  wanted: readonly DeltaStructField[],
  extras: readonly ExtraColumn[],
  outputSchema: Schema,
  opts: { filter?: Filter | undefined; signal?: AbortSignal | undefined } = {},
): Promise<RecordBatch[]> {
  const fail = (msg: string, cause?: unknown): DeltaError =>
    new DeltaError({
      code: 'CorruptDataFile',
      message: `data file ${file.key} of ${ctx.table} (version ${layout.version}): ${msg}`,
      table: ctx.table,
      version: layout.version,
      file: file.key,
      ...(cause !== undefined ? { cause } : {}),
    });
  const [bytes, deleted] = await Promise.all([
    ctx.store.get(file.key, opts.signal ? { signal: opts.signal } : {}).catch((e: unknown) => {
      throw fail(`cannot read: ${(e as Error)?.message ?? e}`, e);
    }),
    file.deletionVector && !file.selectRows
      ? loadDeletionVector(ctx.store, file.deletionVector, {
          table: ctx.table,
          dataFile: file.key,
          version: layout.version,
          ...(opts.signal ? { signal: opts.signal } : {}),
        })
      : Promise.resolve(undefined),
  ]);

  let numRows: number;
  const topLevel = new Map<string, number | undefined>();
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const meta = parquetMetadata(buffer);
    numRows = Number(meta.num_rows);
    // Top-level columns and their field ids (column mapping `id` mode matches on ids).
    let i = 1;
    const rootChildren = meta.schema[0]?.num_children ?? 0;
    for (let c = 0; c < rootChildren; c++) {
      const el = meta.schema[i]!;
      topLevel.set(el.name, el.field_id);
      i = skipSubtree(meta.schema, i);
    }
  } catch (e) {
    throw fail(`not readable Parquet: ${(e as Error)?.message ?? e}`, e);
  }
  const matcher: FieldMatcher = { mode: layout.columnMapping };
  if (layout.columnMapping === 'id') {
    matcher.idToName = new Map();
    for (const [name, id] of topLevel) if (id !== undefined) matcher.idToName.set(id, name);
  }

  const partition = new Set(layout.partitionColumns);
  const physical: string[] = [];
  for (const f of wanted) {
    if (partition.has(f.name)) continue;
    const name = sourceName(f, matcher);
    if (topLevel.has(name)) physical.push(name);
  }
  for (const x of extras) if (topLevel.has(x.name)) physical.push(x.name);

  let sourceBatches: Array<{ length: number; get(name: string): Data | undefined }>;
  if (physical.length === 0) {
    sourceBatches = numRows > 0 ? [{ length: numRows, get: () => undefined }] : [];
  } else {
    let table: Table;
    try {
      // Loaded on first data read: a snapshot load needs no wasm (checkpoint-arrow.ts).
      const { readParquet } = await import('parquet-wasm/node');
      table = tableFromIPC(readParquet(bytes, { columns: physical, batchSize: 65536 }).intoIPCStream());
    } catch (e) {
      throw fail(`Parquet decoding failed: ${(e as Error)?.message ?? e}`, e);
    }
    sourceBatches = table.batches.map((b) => ({
      length: b.numRows,
      get: (name: string) => {
        const idx = b.schema.fields.findIndex((f) => f.name === name);
        return idx < 0 ? undefined : (b.data.children[idx] as Data);
      },
    }));
  }

  const structType = new Struct(outputSchema.fields);
  const out: RecordBatch[] = [];
  let rowOffset = 0;
  let delPos = 0;
  for (const src of sourceBatches) {
    const n = src.length;
    const children: Data[] = [];
    for (const f of wanted) {
      const target = toArrowField(f).type;
      if (partition.has(f.name)) {
        children.push(constantData(target, file.partitionValues[f.name] ?? null, n));
        continue;
      }
      const d = src.get(sourceName(f, matcher));
      children.push(d ? conformData(d, target, f.type, matcher, f.name) : nullData(target, n));
    }
    for (const x of extras) {
      const d = src.get(x.name);
      children.push(d ? d : nullData(x.type, n));
    }
    const batch = new RecordBatch(
      outputSchema,
      makeData({ type: structType, length: n, nullCount: 0, children }),
    );
    // Keep mask from the deletion vector (row indexes are positions in the whole file).
    let keep: Uint8Array | undefined;
    if (deleted && deleted.length > 0) {
      while (delPos < deleted.length && deleted[delPos]! < rowOffset) delPos++;
      for (let j = delPos; j < deleted.length && deleted[j]! < rowOffset + n; j++) {
        keep ??= new Uint8Array(n).fill(1);
        keep[deleted[j]! - rowOffset] = 0;
      }
    }
    if (file.selectRows) {
      keep = new Uint8Array(n);
      for (const r of file.selectRows) if (r >= rowOffset && r < rowOffset + n) keep[r - rowOffset] = 1;
    }
    if (opts.filter && opts.filter.length > 0) keep = applyRowFilter(batch, layout, opts.filter, keep);
    for (const b of sliceRuns(batch, keep)) out.push(b);
    rowOffset += n;
  }
  if (deleted && deleted.length > 0 && deleted[deleted.length - 1]! >= rowOffset) {
    throw fail(
      `deletion vector marks row ${deleted[deleted.length - 1]} but the file has only ${rowOffset} rows`,
    );
  }
  return out;
}

function skipSubtree(schema: Array<{ num_children?: number }>, i: number): number {
  const n = schema[i]?.num_children ?? 0;
  let j = i + 1;
  for (let c = 0; c < n; c++) j = skipSubtree(schema, j);
  return j;
}

/** Zero-copy slices of the runs of kept rows. */
function sliceRuns(batch: RecordBatch, keep: Uint8Array | undefined): RecordBatch[] {
  if (!keep) return batch.numRows > 0 ? [batch] : [];
  const out: RecordBatch[] = [];
  let start = -1;
  for (let i = 0; i <= keep.length; i++) {
    const k = i < keep.length && keep[i] === 1;
    if (k && start < 0) start = i;
    else if (!k && start >= 0) {
      out.push(batch.slice(start, i));
      start = -1;
    }
  }
  return out;
}

function applyRowFilter(
  batch: RecordBatch,
  layout: TableLayout,
  filter: Filter,
  keep: Uint8Array | undefined,
): Uint8Array {
  const n = batch.numRows;
  const mask = keep ?? new Uint8Array(n).fill(1);
  for (const [column, op, operand] of filter) {
    const field = layout.field(column);
    const idx = batch.schema.fields.findIndex((f) => f.name === column);
    const vec = batch.getChildAt(idx);
    if (!vec)
      throw new DeltaError({ code: 'InvalidArgument', message: `filter column "${column}" was not read` });
    const norm = Array.isArray(operand)
      ? operand.map((v) => normalizeValue(v, field.type, column))
      : normalizeValue(operand as unknown, field.type, column);
    for (let i = 0; i < n; i++) {
      if (mask[i] === 0) continue;
      if (!evaluate(cellValue(vec, i), op, norm)) mask[i] = 0;
    }
  }
  return mask;
}

/** A cell in the comparison normal form (see filter.ts). */
export function cellValue(vec: Vector, i: number): Comparable | null {
  if (!vec.isValid(i)) return null;
  const t = vec.type as DataType;
  if (t.typeId === Type.Timestamp) {
    // `get` returns lossy float milliseconds; read the raw 64-bit value instead (arrow-js slices
    // value buffers together with the Data, so they are indexed without `offset`).
    let idx = i;
    for (const d of vec.data) {
      if (idx < d.length) return (d.values as BigInt64Array)[idx]!;
      idx -= d.length;
    }
  }
  if (t.typeId === Type.Date) return Math.round((vec.get(i) as number) / 86_400_000);
  const v = vec.get(i) as unknown;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean')
    return v;
  throw new DeltaError({
    code: 'InvalidArgument',
    message: `cannot filter on a column of type ${String(t)}`,
  });
}

/** A column of `n` copies of one partition value, built directly in Arrow buffers. */
export function constantData(type: DataType, value: PartitionScalar, n: number): Data {
  if (value === null) return nullData(type, n);
  const base = { type: type as never, length: n, nullCount: 0 };
  switch (type.typeId) {
    case Type.Int: {
      const bits = (type as unknown as { bitWidth: number }).bitWidth;
      const arr =
        bits === 64
          ? new BigInt64Array(n).fill(BigInt(value as bigint))
          : bits === 32
            ? new Int32Array(n).fill(Number(value))
            : bits === 16
              ? new Int16Array(n).fill(Number(value))
              : new Int8Array(n).fill(Number(value));
      return makeData({ ...base, data: arr } as never);
    }
    case Type.Float: {
      const single = (type as unknown as { precision: number }).precision === 1;
      return makeData({
        ...base,
        data: single ? new Float32Array(n).fill(Number(value)) : new Float64Array(n).fill(Number(value)),
      } as never);
    }
    case Type.Bool:
      return makeData({ ...base, data: new Uint8Array(Math.ceil(n / 8)).fill(value ? 0xff : 0) } as never);
    case Type.Date:
      return makeData({ ...base, data: new Int32Array(n).fill(Number(value)) } as never);
    case Type.Timestamp:
      return makeData({ ...base, data: new BigInt64Array(n).fill(value as bigint) } as never);
    case Type.Decimal: {
      const words = new Uint32Array(n * 4);
      let v = BigInt.asUintN(128, value as bigint);
      const w = [0, 0, 0, 0].map(() => {
        const x = Number(v & 0xffffffffn);
        v >>= 32n;
        return x;
      });
      for (let r = 0; r < n; r++) words.set(w, r * 4);
      return makeData({ ...base, data: words } as never);
    }
    case Type.Utf8:
    case Type.Binary: {
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : (value as Uint8Array);
      const offsets = new Int32Array(n + 1);
      const data = new Uint8Array(bytes.length * n);
      for (let r = 0; r < n; r++) {
        data.set(bytes, r * bytes.length);
        offsets[r + 1] = (r + 1) * bytes.length;
      }
      return makeData({ ...base, data, valueOffsets: offsets } as never);
    }
  }
  throw new DeltaError({
    code: 'InvalidMetadata',
    message: `partition columns of type ${String(type)} are not supported`,
  });
}

/** Output schema for a read: wanted logical fields then extra columns. */
export function outputSchemaFor(
  wanted: readonly DeltaStructField[],
  extras: readonly ExtraColumn[] = [],
): Schema {
  return new Schema([...wanted.map(toArrowField), ...extras.map((x) => new Field(x.name, x.type, true))]);
}

/** Resolves requested columns (plus those a filter needs) to fields. */
export function plannedColumns(
  layout: TableLayout,
  columns: readonly string[] | undefined,
  filter: Filter | undefined,
): { output: DeltaStructField[]; read: DeltaStructField[] } {
  const output = columns ? columns.map((c) => layout.field(c)) : [...layout.schema.fields];
  const read = [...output];
  for (const [c] of filter ?? []) if (!read.some((f) => f.name === c)) read.push(layout.field(c));
  return { output, read };
}

/** Keeps the named columns of a batch under `schema` (drops filter-only columns). */
export function project(batch: RecordBatch, schema: Schema): RecordBatch {
  if (batch.schema.fields.length === schema.fields.length) return batch;
  const children = schema.fields.map(
    (f) => batch.data.children[batch.schema.fields.findIndex((x) => x.name === f.name)]!,
  );
  return new RecordBatch(
    schema,
    makeData({
      type: new Struct(schema.fields),
      offset: 0,
      length: batch.numRows,
      nullCount: 0,
      children: children.map((c) => c),
    }),
  );
}

export async function* readFilesToBatches(
  ctx: SnapshotContext,
  layout: TableLayout,
  files: readonly DeltaFile[],
  opts: ReadOptions,
): AsyncIterable<RecordBatch> {
  const { output, read } = plannedColumns(layout, opts.columns, opts.filter);
  const readSchema = outputSchemaFor(read);
  const outSchema = outputSchemaFor(output);
  const window = Math.max(1, opts.concurrency ?? 4);
  const pending: Promise<RecordBatch[]>[] = [];
  let next = 0;
  const start = (): void => {
    const f = files[next++]!;
    const p = readDataFile(ctx, layout, f, read, [], readSchema, {
      filter: opts.filter,
      signal: opts.signal,
    });
    p.catch(() => undefined); // Rejections surface when awaited, in file order.
    pending.push(p);
  };
  while (next < files.length && pending.length < window) start();
  while (pending.length > 0) {
    const batches = await pending.shift()!;
    if (next < files.length) start();
    for (const b of batches) yield project(b, outSchema);
  }
}

export async function collectTable(
  layout: TableLayout,
  batches: AsyncIterable<RecordBatch>,
  columns: readonly string[] | undefined,
): Promise<Table> {
  const schema = outputSchemaFor(plannedColumns(layout, columns, undefined).output);
  const all: RecordBatch[] = [];
  for await (const b of batches) all.push(b);
  return all.length === 0 ? new Table(schema) : new Table(all);
}
