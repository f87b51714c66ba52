/**
 * The destination side of `lakekit counts`: a Delta table (`delta://s3://bucket/path`,
 * `delta:///local/dir`) or an Iceberg table (`iceberg://namespace.table`, catalog from the stack's
 * endpoints), reduced to a row count and an order-independent checksum, exactly as the source side
 * is. A Delta table written by lakekit's CDC sink is a change log; it is materialized (last change
 * per key) before counting, which needs the key columns.
 */
import { openDeltaTable } from '../delta/table.js';
import { loadIcebergTable } from '../iceberg/index.js';
import { CHANGE_TYPE, materializeChangelog } from '../sink/delta-target.js';
import { openStore } from '../storage/index.js';
import { addArrowRows, RowChecksum } from './checksum.js';
import { type Endpoints, icebergTableRef, s3Settings } from './config.js';
import { UsageError } from './output.js';
import type { TableSummary } from './sources.js';
import { uncanonical } from './sources.js';

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
  const sum = new RowChecksum(o.columns ?? []);
  if (isChangelog) {
    if (!o.keyColumns?.length)
      throw new UsageError(`${location} is a change log (${CHANGE_TYPE}); pass --key`);
    // The change log is materialized into row objects, which hold Arrow's JS values: only the
    // types whose JS values are exact can be checksummed on this path.
    const deltaOk = /^(byte|short|integer|long|string|boolean|double|binary)$/;
    const badDelta = snapshot.schema.fields.filter(
      (f) => o.columns?.includes(f.name) && !(typeof f.type === 'string' && deltaOk.test(f.type)),
    );
    if (badDelta.length)
      throw uncanonical(
        badDelta.map(
          (f) => `${f.name} (${typeof f.type === 'string' ? f.type : f.type.type}, in a change log)`,
        ),
      );
    for (const row of await materializeChangelog(store, o.keyColumns, o.signal)) sum.add(row);
  } else {
    for await (const batch of snapshot.batches({
      ...(o.columns?.length ? { columns: o.columns } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    })) {
      if (o.columns?.length) addArrowRows(sum, batch, o.columns, uncanonical);
      else sum.count += batch.numRows;
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
  const sum = new RowChecksum(o.columns ?? []);
  if (o.columns?.length) addArrowRows(sum, data, o.columns, uncanonical);
  else sum.count = data.numRows;
  return {
    location: `iceberg://${identifier}`,
    count: sum.count,
    ...(o.columns?.length ? { checksum: sum.hex, columns: o.columns } : {}),
  };
}
