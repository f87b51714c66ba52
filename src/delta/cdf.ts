/**
 * Change Data Feed (PROTOCOL.md "Change Data Files" / "Add CDC File"): for each commit in range,
 * the rows of its `cdc` files when it has any (they carry `_change_type`), otherwise rows derived
 * from its data-changing actions — added files are inserts, removed files are deletes, and a file
 * whose deletion vector grew in the commit contributes exactly the newly deleted rows. Every row
 * gets `_commit_version` and `_commit_timestamp`. A commit whose table metadata does not have
 * `delta.enableChangeDataFeed=true` is an error: its changes cannot be told apart reliably.
 */
import {
  type Data,
  Field,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  Utf8,
} from 'apache-arrow';
import type { AddAction, LogAction, MetadataAction, RemoveAction } from './actions.js';
import { loadDeletionVector } from './deletion-vector.js';
import { DeltaError } from './errors.js';
import type { Filter } from './filter.js';
import {
  constantData,
  type ExtraColumn,
  type FileToRead,
  outputSchemaFor,
  plannedColumns,
  project,
  readDataFile,
} from './scan.js';
import { type PartitionScalar, parsePartitionValue, physicalName } from './schema.js';
import { resolveDataKey, type Snapshot } from './snapshot.js';
import type { DeltaTable } from './table.js';
import { mapLimited } from './table.js';

export type ChangeType = 'insert' | 'delete' | 'update_preimage' | 'update_postimage';

export interface ChangeQuery {
  startingVersion?: number;
  endingVersion?: number;
  /** First version committed at or after this instant. */
  startingTimestamp?: Date | number | string;
  /** Last version committed at or before this instant. */
  endingTimestamp?: Date | number | string;
  /** Logical data columns (default all, in the ending version's schema); metadata columns always follow. */
  columns?: readonly string[];
  /** Only these change types. */
  changeTypes?: readonly ChangeType[];
  /** Row filter on data columns. */
  filter?: Filter;
  signal?: AbortSignal;
}

const CHANGE_TYPE = '_change_type';
const COMMIT_VERSION = '_commit_version';
const COMMIT_TIMESTAMP = '_commit_timestamp';

export function cdfEnabled(m: MetadataAction | undefined): boolean {
  return m?.configuration?.['delta.enableChangeDataFeed'] === 'true';
}

export async function readChanges(table: DeltaTable, q: ChangeQuery): Promise<Table> {
  const signal = q.signal;
  const sig = signal ? { signal } : {};
  const start =
    q.startingVersion ??
    (q.startingTimestamp !== undefined ? await table.versionAtOrAfter(q.startingTimestamp, signal) : 0);
  const end =
    q.endingVersion ??
    (q.endingTimestamp !== undefined
      ? await table.versionAt(q.endingTimestamp, signal)
      : await table.latestVersion(signal));
  if (!Number.isInteger(start) || start < 0 || end < start)
    throw new DeltaError({
      code: 'InvalidArgument',
      message: `change range ${start}..${end} of ${table.url} is empty or invalid`,
      table: table.url,
    });
  const [startSnap, endSnap] = await Promise.all([
    table.snapshot({ version: start, ...sig }),
    table.snapshot({ version: end, ...sig }),
  ]);
  const commits = (await table.changesSince(start - 1, signal)).filter((c) => c.version <= end);
  if (commits.length !== end - start + 1 || commits[0]?.version !== start)
    throw new DeltaError({
      code: 'MissingVersion',
      message: `commits ${start}..${end} of ${table.url} are not all in the log`,
      table: table.url,
      version: start,
    });

  const ctx = { store: table.store, table: table.url };
  const { output, read } = plannedColumns(endSnap, q.columns, q.filter);
  const readSchema = outputSchemaFor(read, [{ name: CHANGE_TYPE, type: new Utf8() }]);
  const dataSchema = outputSchemaFor(output);
  const outSchema = new Schema([
    ...dataSchema.fields,
    new Field(CHANGE_TYPE, new Utf8(), true),
    new Field(COMMIT_VERSION, new Int64(), true),
    new Field(COMMIT_TIMESTAMP, new TimestampMicrosecond('UTC'), true),
  ]);
  const wantTypes = q.changeTypes ? new Set<string>(q.changeTypes) : undefined;

  let metadata = startSnap.metadata;
  type Job = { file: FileToRead; changeType: string | undefined; version: number; timestamp: number };
  const jobs: Job[] = [];
  for (const c of commits) {
    for (const a of c.actions) if (a.metaData) metadata = a.metaData;
    if (!cdfEnabled(metadata))
      throw new DeltaError({
        code: 'ChangeDataFeedNotEnabled',
        message: `Change Data Feed is not enabled at version ${c.version} of ${table.url} (delta.enableChangeDataFeed)`,
        table: table.url,
        version: c.version,
      });
    for (const job of await changeFilesOf(ctx, endSnap, c.actions, c.version, signal))
      jobs.push({ ...job, version: c.version, timestamp: c.timestamp });
  }

  const extras: ExtraColumn[] = [{ name: CHANGE_TYPE, type: new Utf8() }];
  const perJob = await mapLimited(jobs, 4, async (job) => {
    const batches = await readDataFile(
      ctx,
      endSnap,
      job.file,
      read,
      job.changeType ? [] : extras,
      job.changeType ? outputSchemaFor(read) : readSchema,
      {
        filter: q.filter,
        signal,
      },
    );
    return batches.flatMap((b) =>
      finishBatch(b, dataSchema, outSchema, job.changeType, job.version, job.timestamp, wantTypes),
    );
  });
  const all = perJob.flat();
  return all.length === 0 ? new Table(outSchema) : new Table(all);
}

function finishBatch(
  batch: RecordBatch,
  dataSchema: Schema,
  outSchema: Schema,
  changeType: string | undefined,
  version: number,
  timestamp: number,
  wantTypes: Set<string> | undefined,
): RecordBatch[] {
  const n = batch.numRows;
  const data = project(
    batch,
    new Schema([...dataSchema.fields, ...(changeType ? [] : [batch.schema.fields.at(-1)!])]),
  );
  const children: Data[] = dataSchema.fields.map((_, i) => data.data.children[i]!);
  const typeData = changeType
    ? constantData(new Utf8(), changeType, n)
    : (batch.getChild(CHANGE_TYPE)!.data[0] as Data);
  children.push(typeData);
  children.push(constantData(new Int64(), BigInt(version), n));
  children.push(constantData(new TimestampMicrosecond('UTC'), BigInt(timestamp) * 1000n, n));
  const out = new RecordBatch(
    outSchema,
    makeData({ type: new Struct(outSchema.fields), length: n, nullCount: 0, children }),
  );
  if (!wantTypes) return n > 0 ? [out] : [];
  const types = out.getChild(CHANGE_TYPE)!;
  const result: RecordBatch[] = [];
  let s = -1;
  for (let i = 0; i <= n; i++) {
    const keep = i < n && wantTypes.has(String(types.get(i)));
    if (keep && s < 0) s = i;
    else if (!keep && s >= 0) {
      result.push(out.slice(s, i));
      s = -1;
    }
  }
  return result;
}

async function changeFilesOf(
  ctx: { store: DeltaTable['store']; table: string },
  layout: Snapshot,
  actions: LogAction[],
  version: number,
  signal: AbortSignal | undefined,
): Promise<Array<{ file: FileToRead; changeType: string | undefined }>> {
  const partitionsOf = (
    pv: Record<string, string | null> | null | undefined,
    path: string,
  ): Record<string, PartitionScalar> => {
    const out: Record<string, PartitionScalar> = {};
    for (const col of layout.partitionColumns) {
      const field = layout.field(col);
      const key = physicalName(field, layout.columnMapping);
      if (!pv || !(key in pv))
        throw new DeltaError({
          code: 'CorruptCommit',
          message: `${path} in version ${version} of ${ctx.table} has no partition value for "${col}"; its change rows cannot be built`,
          table: ctx.table,
          version,
          file: path,
        });
      out[col] = parsePartitionValue(pv[key], field.type, col);
    }
    return out;
  };
  const cdcs = actions.filter((a) => a.cdc).map((a) => a.cdc!);
  if (cdcs.length > 0) {
    return cdcs.map((c) => ({
      file: { key: resolveDataKey(ctx, c.path), partitionValues: partitionsOf(c.partitionValues, c.path) },
      changeType: undefined,
    }));
  }
  const adds = actions.filter((a) => a.add?.dataChange).map((a) => a.add!) as AddAction[];
  const removes = actions.filter((a) => a.remove?.dataChange).map((a) => a.remove!) as RemoveAction[];
  const addedPaths = new Map(adds.map((a) => [a.path, a]));
  const removedPaths = new Map(removes.map((r) => [r.path, r]));
  const out: Array<{ file: FileToRead; changeType: string | undefined }> = [];
  for (const a of adds) {
    const r = removedPaths.get(a.path);
    if (r) {
      // Same file, new deletion vector: the rows deleted now are (new DV) \ (old DV); rows in the
      // old DV but not the new one (a restore) come back as inserts.
      const dvCtx = { table: ctx.table, dataFile: a.path, version, ...(signal ? { signal } : {}) };
      const [now, before] = await Promise.all([
        a.deletionVector
          ? loadDeletionVector(ctx.store, a.deletionVector, dvCtx)
          : Promise.resolve(new Float64Array(0)),
        r.deletionVector
          ? loadDeletionVector(ctx.store, r.deletionVector, dvCtx)
          : Promise.resolve(new Float64Array(0)),
      ]);
      const beforeSet = new Set(before);
      const nowSet = new Set(now);
      const deleted = Float64Array.from(now.filter((x) => !beforeSet.has(x)));
      const restored = Float64Array.from(before.filter((x) => !nowSet.has(x)));
      const base = {
        key: resolveDataKey(ctx, a.path),
        partitionValues: partitionsOf(a.partitionValues, a.path),
      };
      if (deleted.length > 0) out.push({ file: { ...base, selectRows: deleted }, changeType: 'delete' });
      if (restored.length > 0) out.push({ file: { ...base, selectRows: restored }, changeType: 'insert' });
      continue;
    }
    out.push({
      file: {
        key: resolveDataKey(ctx, a.path),
        partitionValues: partitionsOf(a.partitionValues, a.path),
        deletionVector: a.deletionVector ?? undefined,
      },
      changeType: 'insert',
    });
  }
  for (const r of removes) {
    if (addedPaths.has(r.path)) continue;
    out.push({
      file: {
        key: resolveDataKey(ctx, r.path),
        partitionValues: partitionsOf(r.partitionValues, r.path),
        deletionVector: r.deletionVector ?? undefined,
      },
      changeType: 'delete',
    });
  }
  return out;
}
