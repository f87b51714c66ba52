/**
 * The destination side of `lakekit counts`: a Delta table (`delta://s3://bucket/path`,
 * `delta:///local/dir`) or an Iceberg table (`iceberg://namespace.table`, catalog from the stack's
 * endpoints), reduced to a row count and an order-independent checksum, exactly as the source side
 * is. A Delta table written by lakekit's CDC sink is a change log; it is materialized (last change
 * per key) before counting, which needs the key columns.
 */
import { Type } from 'apache-arrow';
import { openDeltaTable } from '../delta/table.js';
import { loadIcebergTable } from '../iceberg/index.js';
import { CHANGE_TYPE, materializeChangelog } from '../sink/delta-target.js';
import { openStore } from '../storage/index.js';
import { RowChecksum } from './checksum.js';
import { type Endpoints, icebergTableRef, s3Settings } from './config.js';
import { UsageError } from './output.js';
import type { TableSummary } from './sources.js';
import { uncanonical } from './sources.js';

/** Arrow types the checksum renders like the source drivers do (see `uncanonical`). */
function refuseUncanonicalArrow(
  schema: { fields: { name: string; type: { typeId: number } }[] },
  columns: string[],
): void {
  const ok = new Set([Type.Int, Type.Utf8, Type.LargeUtf8, Type.Bool, Type.Dictionary, Type.Null]);
  const bad = schema.fields.filter(
    (f) =>
      columns.includes(f.name) &&
      !ok.has(f.type.typeId) &&
      !(f.type.typeId === Type.Float && String(f.type) === 'Float64'),
  );
  if (bad.length) throw uncanonical(bad.map((f) => `${f.name} (${String(f.type)})`));
}

export interface TargetOptions {
  endpoints: Endpoints;
  /** Columns for the checksum; none = count only. */
  columns?: string[];
  /** Key columns, needed for change-log tables. */
  keyColumns?: string[];
  signal?: AbortSignal;
}

export async function summarizeTarget(location: string, o: TargetOptions): Promise<TableSummary> {
  if (location.startsWith('delta://')) return summarizeDelta(location.slice('delta://'.length), o);
  if (location.startsWith('iceberg://')) return summarizeIceberg(location.slice('iceberg://'.length), o);
  throw new UsageError(
    `unsupported target ${location} (use iceberg://namespace.table or delta://<location>)`,
  );
}

async function summarizeDelta(location: string, o: TargetOptions): Promise<TableSummary> {
  const s3 = s3Settings(o.endpoints);
  const store = openStore(location, s3);
  const table = await openDeltaTable(store, o.signal ? { signal: o.signal } : {});
  const snapshot = await table.snapshot(o.signal ? { signal: o.signal } : {});
  const isChangelog = snapshot.schema.fields.some((f) => f.name === CHANGE_TYPE);
  const deltaOk = /^(byte|short|integer|long|string|boolean|double)$/;
  const badDelta = snapshot.schema.fields.filter(
    (f) => o.columns?.includes(f.name) && !(typeof f.type === 'string' && deltaOk.test(f.type)),
  );
  if (badDelta.length)
    throw uncanonical(
      badDelta.map((f) => `${f.name} (${typeof f.type === 'string' ? f.type : f.type.type})`),
    );
  const sum = new RowChecksum(o.columns ?? []);
  if (isChangelog) {
    if (!o.keyColumns?.length)
      throw new UsageError(`${location} is a change log (${CHANGE_TYPE}); pass --key`);
    for (const row of await materializeChangelog(store, o.keyColumns, o.signal)) sum.add(row);
  } else {
    for await (const batch of snapshot.batches({
      ...(o.columns?.length ? { columns: o.columns } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    })) {
      if (!o.columns?.length) {
        sum.count += batch.numRows;
        continue;
      }
      for (const row of batch) sum.add(row.toJSON() as Record<string, unknown>);
    }
  }
  return {
    location: `delta://${location}`,
    count: sum.count,
    ...(o.columns?.length ? { checksum: sum.hex, columns: o.columns } : {}),
  };
}

async function summarizeIceberg(identifier: string, o: TargetOptions): Promise<TableSummary> {
  const { catalog, ident } = icebergTableRef(identifier, o.endpoints);
  const s3 = s3Settings(o.endpoints);
  const table = await loadIcebergTable(catalog, ident, s3 ? { s3 } : {});
  const data = await table.toArrow({
    ...(o.columns?.length ? { columns: o.columns } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  if (o.columns?.length) refuseUncanonicalArrow(data.schema, o.columns);
  const sum = new RowChecksum(o.columns ?? []);
  if (o.columns?.length) for (const row of data) sum.add(row.toJSON() as Record<string, unknown>);
  else sum.count = data.numRows;
  return {
    location: `iceberg://${identifier}`,
    count: sum.count,
    ...(o.columns?.length ? { checksum: sum.hex, columns: o.columns } : {}),
  };
}
