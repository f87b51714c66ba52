/**
 * A Delta Lake append writer (writer protocol 2, reader protocol 1): Arrow table → one Parquet
 * file (parquet-wasm) + per-file statistics → a JSON commit `_delta_log/<version>.json` written
 * with put-if-absent (`If-None-Match: *` on S3, `O_EXCL` locally). Per the Delta protocol's
 * optimistic concurrency, a blind append whose commit slot was taken by a concurrent writer is
 * retried at the next version; only a commit that creates the table (version 0) must re-check
 * what the winner created. A failed commit deletes the data file it wrote, so nothing half-written
 * stays behind. No library writes Delta from JavaScript, which is why this is ours.
 */
import { randomUUID } from 'node:crypto';
import {
  type DataType,
  Field,
  makeBuilder,
  Schema,
  Table,
  Type,
  tableToIPC,
  type Vector,
} from 'apache-arrow';
import { Compression, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { LakekitError } from '../../http/errors.js';
import type { ObjectStore } from '../../storage/object-store.js';
import { openDeltaTable } from '../table.js';

const LOG = '_delta_log/';

export interface DeltaAppendOptions {
  /** Table properties used when the table is created (e.g. `delta.appendOnly`). */
  configuration?: Record<string, string>;
  /** Extra fields for the `commitInfo` action (e.g. positions of a CDC sink). */
  commitInfo?: Record<string, unknown>;
  /** Create the table with the data's schema when it does not exist. Default true. */
  createIfMissing?: boolean;
  /** Attempts at successive versions when concurrent writers take the slot. Default 20. */
  maxCommitAttempts?: number;
  signal?: AbortSignal;
}

export interface DeltaAppendResult {
  version: number;
  path: string;
  numRecords: number;
  sizeBytes: number;
}

function deltaError(
  message: string,
  extra: Partial<ConstructorParameters<typeof LakekitError>[0]> = {},
): LakekitError {
  return new LakekitError({ message, kind: 'validation', service: 'delta', ...extra });
}

/** Delta primitive type name of an Arrow type; nested and unsupported types are rejected. */
export function deltaTypeOf(field: Field): string {
  let t = field.type as DataType;
  // Dictionary-encoded columns (apache-arrow's default for JS strings) store their value type.
  if (t.typeId === Type.Dictionary) t = (t as unknown as { dictionary: DataType }).dictionary;
  switch (t.typeId) {
    case Type.Int: {
      const bits = (t as unknown as { bitWidth: number }).bitWidth;
      return (
        ({ 8: 'byte', 16: 'short', 32: 'integer', 64: 'long' } as Record<number, string>)[bits] ?? 'long'
      );
    }
    case Type.Float: {
      const p = (t as unknown as { precision: number }).precision;
      return p === 2 ? 'double' : 'float';
    }
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'string';
    case Type.Bool:
      return 'boolean';
    case Type.Binary:
    case Type.LargeBinary:
      return 'binary';
    case Type.Date:
      return 'date';
    case Type.Timestamp: {
      const tz = (t as unknown as { timezone?: string | null }).timezone;
      if (!tz)
        throw deltaError(
          `column ${field.name}: timestamps without a time zone need the timestampNtz feature, which this writer does not enable`,
        );
      return 'timestamp';
    }
    case Type.Decimal: {
      const d = t as unknown as { precision: number; scale: number };
      return `decimal(${d.precision},${d.scale})`;
    }
    default:
      throw deltaError(
        `column ${field.name}: Arrow type ${String(t)} is not supported by the Delta append writer`,
      );
  }
}

export function deltaSchemaString(schema: Schema): string {
  return JSON.stringify({
    type: 'struct',
    fields: schema.fields.map((f) => ({
      name: f.name,
      type: deltaTypeOf(f),
      nullable: f.nullable,
      metadata: {},
    })),
  });
}

/** Per-file statistics in the JSON form of the `add` action's `stats`. */
export function fileStats(table: Table): Record<string, unknown> {
  const minValues: Record<string, unknown> = {};
  const maxValues: Record<string, unknown> = {};
  const nullCount: Record<string, number> = {};
  for (const field of table.schema.fields) {
    const col = table.getChild(field.name) as Vector | null;
    if (!col) continue;
    nullCount[field.name] = col.nullCount;
    const kind = deltaTypeOf(field);
    if (kind === 'binary' || kind === 'boolean') continue;
    let min: unknown;
    let max: unknown;
    for (const raw of col) {
      if (raw === null || raw === undefined) continue;
      const v = statValue(raw, kind);
      if (v === undefined) continue;
      if (min === undefined || (v as number | string) < (min as number | string)) min = v;
      if (max === undefined || (v as number | string) > (max as number | string)) max = v;
    }
    // JSON numbers beyond 2^53 lose digits; a rounded bound could make readers skip this file.
    const unsafe = (v: unknown) =>
      typeof v === 'bigint' && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER));
    if (min !== undefined && !unsafe(min) && !unsafe(max)) {
      minValues[field.name] = typeof min === 'bigint' ? Number(min) : min;
      maxValues[field.name] = typeof max === 'bigint' ? Number(max) : max;
    }
  }
  return { numRecords: table.numRows, minValues, maxValues, nullCount };
}

function statValue(raw: unknown, kind: string): unknown {
  if (kind === 'date') return new Date(Number(raw)).toISOString().slice(0, 10);
  if (kind === 'timestamp') return new Date(Number(raw)).toISOString();
  if (kind.startsWith('decimal')) return undefined; // exact decimal bounds are optional; skipping keeps them correct
  if (typeof raw === 'number' && Number.isNaN(raw)) return undefined;
  return raw;
}

/**
 * Replaces dictionary-encoded columns (apache-arrow's default for JS strings) by plain ones: the
 * Arrow schema embedded in the Parquet footer would otherwise tell readers to expect a dictionary
 * type that the Delta schema (`string`) does not have.
 */
function withoutDictionaries(table: Table): Table {
  if (!table.schema.fields.some((f) => f.type.typeId === Type.Dictionary)) return table;
  const columns: Record<string, Vector> = {};
  const fields = table.schema.fields.map((f) => {
    const col = table.getChild(f.name) as Vector;
    if (f.type.typeId !== Type.Dictionary) {
      columns[f.name] = col;
      return f;
    }
    const valueType = (f.type as unknown as { dictionary: DataType }).dictionary;
    const b = makeBuilder({ type: valueType, nullValues: [null, undefined] });
    for (const v of col) b.append(v);
    columns[f.name] = b.finish().toVector();
    return new Field(f.name, valueType, f.nullable, f.metadata);
  });
  return new Table(new Schema(fields, table.schema.metadata), columns);
}

function versionKey(v: number): string {
  return `${LOG}${String(v).padStart(20, '0')}.json`;
}

/** Latest committed version, or -1 when the table has no log. */
export async function latestDeltaVersion(store: ObjectStore, signal?: AbortSignal): Promise<number> {
  let latest = -1;
  let startAfter: string | undefined;
  const lastCheckpoint = await store.head(`${LOG}_last_checkpoint`, signal ? { signal } : {});
  if (lastCheckpoint) {
    const cp = JSON.parse(new TextDecoder().decode(await store.get(`${LOG}_last_checkpoint`))) as {
      version: number;
    };
    latest = cp.version;
    startAfter = versionKey(cp.version);
  }
  for await (const o of store.list(LOG, {
    ...(startAfter ? { startAfter } : {}),
    ...(signal ? { signal } : {}),
  })) {
    const m = /^_delta_log\/(\d{20})\.json$/.exec(o.key);
    if (m?.[1]) latest = Math.max(latest, Number(m[1]));
  }
  return latest;
}

/** Appends `table` as one new data file in one commit. */
export async function appendToDelta(
  store: ObjectStore,
  table: Table,
  o: DeltaAppendOptions = {},
): Promise<DeltaAppendResult> {
  const signal = o.signal;
  const schemaString = deltaSchemaString(table.schema);
  const stats = fileStats(table);
  const props = new WriterPropertiesBuilder()
    .setCompression(Compression.SNAPPY)
    .setCreatedBy('lakekit')
    .build();
  const bytes = writeParquet(
    WasmTable.fromIPCStream(tableToIPC(withoutDictionaries(table), 'stream')),
    props,
  );
  let version = (await latestDeltaVersion(store, signal)) + 1;
  if (version > 0) await checkTableAccepts(store, version - 1, schemaString, signal);
  const path = `part-00000-${randomUUID()}-c000.snappy.parquet`;
  await store.put(path, bytes, { ...(signal ? { signal } : {}) });

  const now = Date.now();
  const add = {
    add: {
      path,
      partitionValues: {},
      size: bytes.length,
      modificationTime: now,
      dataChange: true,
      stats: JSON.stringify(stats),
    },
  };
  const attempts = o.maxCommitAttempts ?? 20;
  // Deleting the data file is only safe while no commit that references it can have landed.
  let committed: 'no' | 'maybe' = 'no';
  try {
    for (let attempt = 1; ; attempt++) {
      const actions: unknown[] = [
        {
          commitInfo: {
            timestamp: now,
            operation: 'WRITE',
            operationParameters: { mode: 'Append' },
            engineInfo: 'lakekit',
            ...o.commitInfo,
          },
        },
      ];
      if (version === 0) {
        if (o.createIfMissing === false)
          throw deltaError(`${store.url} is not a Delta table (no _delta_log)`, { kind: 'protocol' });
        actions.push({ protocol: { minReaderVersion: 1, minWriterVersion: 2 } });
        actions.push({
          metaData: {
            id: randomUUID(),
            format: { provider: 'parquet', options: {} },
            schemaString,
            partitionColumns: [],
            configuration: o.configuration ?? {},
            createdTime: now,
          },
        });
      }
      actions.push(add);
      try {
        committed = 'maybe';
        await store.put(versionKey(version), `${actions.map((a) => JSON.stringify(a)).join('\n')}\n`, {
          ifNoneMatch: '*',
          contentType: 'application/json',
          ...(signal ? { signal } : {}),
        });
        return { version, path, numRecords: table.numRows, sizeBytes: bytes.length };
      } catch (e) {
        const taken = (e as { isPreconditionFailed?: () => boolean }).isPreconditionFailed?.() === true;
        if (!taken) throw e;
        // A retried PUT whose first answer was lost meets its own object: that commit is ours.
        if (await commitReferences(store, version, path, signal)) {
          return { version, path, numRecords: table.numRows, sizeBytes: bytes.length };
        }
        committed = 'no';
        if (attempt >= attempts) throw e;
        // Another writer committed this version first; an append does not conflict with it, as
        // long as the table still takes our schema.
        version = (await latestDeltaVersion(store, signal)) + 1;
        await checkTableAccepts(store, version - 1, schemaString, signal);
      }
    }
  } catch (e) {
    if (committed === 'no' || !(await commitReferencesAny(store, version, path))) {
      await store.delete(path).catch(() => undefined);
    }
    throw e instanceof LakekitError
      ? e
      : new LakekitError({
          message: `Delta commit to ${store.url} failed: ${(e as Error).message}`,
          kind: 'protocol',
          service: 'delta',
          cause: e,
        });
  }
}

async function commitReferences(
  store: ObjectStore,
  version: number,
  path: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const text = new TextDecoder().decode(await store.get(versionKey(version), signal ? { signal } : {}));
  return text.split('\n').some((line) => line.includes('"add"') && line.includes(JSON.stringify(path)));
}

/** After an ambiguous failure: does any commit from `version` on reference our file? */
async function commitReferencesAny(store: ObjectStore, version: number, path: string): Promise<boolean> {
  try {
    const latest = await latestDeltaVersion(store);
    for (let v = version; v <= latest; v++) if (await commitReferences(store, v, path)) return true;
    return false;
  } catch {
    // Unknown: keep the file. An orphan is harmless (VACUUM removes it); a dangling add is not.
    return true;
  }
}

/**
 * Refuses to append when the table's schema differs from the data's (names, types, order) or when
 * its protocol needs writer features this writer does not implement.
 */
async function checkTableAccepts(
  store: ObjectStore,
  version: number,
  schemaString: string,
  signal?: AbortSignal,
): Promise<void> {
  const table = await openDeltaTable(store, signal ? { signal } : {});
  const snap = await table.snapshot({ version, ...(signal ? { signal } : {}) });
  const p = snap.protocol as { minWriterVersion?: number; writerFeatures?: string[] };
  if ((p.minWriterVersion ?? 1) > 2 || (p.writerFeatures?.length ?? 0) > 0) {
    throw deltaError(
      `${store.url} needs writer protocol ${p.minWriterVersion}${p.writerFeatures?.length ? ` with features ${p.writerFeatures.join(', ')}` : ''}; lakekit's append writer implements version 2 only`,
      { kind: 'protocol' },
    );
  }
  const have = fieldsOf(snap.metadata.schemaString);
  const want = fieldsOf(schemaString);
  if (have !== want) {
    throw deltaError(`cannot append to ${store.url}: table columns are ${have}, data columns are ${want}`);
  }
}

function fieldsOf(schemaString: string): string {
  const s = JSON.parse(schemaString) as { fields: { name: string; type: unknown }[] };
  return s.fields
    .map((f) => `${f.name}:${typeof f.type === 'string' ? f.type : JSON.stringify(f.type)}`)
    .join(', ');
}
