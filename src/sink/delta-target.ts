/**
 * A CDC sink target that keeps a Delta table as a change log: every batch is one append commit
 * whose rows are the changed rows plus `_change_type` (`upsert` | `delete`) and the Kafka
 * partition/offset of the event (`_source_partition`, `_source_offset`), and whose `commitInfo`
 * carries the sink id and the Kafka positions. Appends never conflict, so concurrent writers and
 * retries at the next version are safe; the positions in the same commit make restarts exact.
 * `materializeChangelog` turns such a table back into the current rows (last change per key wins,
 * deletes drop the key) — what `lakekit counts` compares with the source.
 */
import {
  Field as ArrowField,
  Schema as ArrowSchema,
  type Field,
  Int32,
  Int64,
  makeBuilder,
  type Schema,
  Table,
  Utf8,
  type Vector,
} from 'apache-arrow';
import { openDeltaTable } from '../delta/table.js';
import { appendToDelta } from '../delta/write/append.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { SinkTarget } from './cdc-sink.js';
import type { ChangeBatch, KafkaPosition } from './changes.js';
import { keyOf } from './changes.js';

export const CHANGE_TYPE = '_change_type';
export const SOURCE_PARTITION = '_source_partition';
export const SOURCE_OFFSET = '_source_offset';
const META = ['_change_type', '_source_partition', '_source_offset'];

export interface DeltaChangelogOptions {
  store: ObjectStore;
  /** Identifies this sink in `commitInfo`; positions are looked up by it. */
  sinkId: string;
  /** The source table's columns as Arrow fields (values are converted to these types). */
  columns: Field[];
  keyColumns: string[];
}

interface SinkCommitInfo {
  'lakekit.sink'?: { id: string; positions: KafkaPosition[] };
}

export function deltaChangelogTarget(o: DeltaChangelogOptions): SinkTarget {
  const schema = new ArrowSchema([
    ...o.columns,
    new ArrowField(CHANGE_TYPE, new Utf8(), false),
    new ArrowField(SOURCE_PARTITION, new Int32(), true),
    new ArrowField(SOURCE_OFFSET, new Int64(), true),
  ]);
  for (const k of o.keyColumns) {
    if (!o.columns.some((c) => c.name === k)) throw new Error(`key column ${k} is not among the columns`);
  }
  return {
    description: o.store.url,
    async committedPositions(signal) {
      const exists = await o.store.head('_delta_log/00000000000000000000.json', signal ? { signal } : {});
      if (!exists) return [];
      const table = await openDeltaTable(o.store, signal ? { signal } : {});
      for (const commit of await table.history(signal ? { signal } : {})) {
        const sink = (commit.commitInfo as SinkCommitInfo | undefined)?.['lakekit.sink'];
        if (sink?.id === o.sinkId) return sink.positions;
      }
      return [];
    },
    async apply(batch: ChangeBatch, signal) {
      if (batch.upserts.length === 0 && batch.deletes.length === 0) return;
      const rows: Record<string, unknown>[] = [];
      for (const [i, r] of batch.upserts.entries())
        rows.push(withMeta(r, 'upsert', batch.upsertPositions[i]));
      for (const [i, r] of batch.deletes.entries())
        rows.push(withMeta(r, 'delete', batch.deletePositions[i]));
      await appendToDelta(o.store, rowsToTable(schema, rows), {
        commitInfo: { 'lakekit.sink': { id: o.sinkId, positions: batch.positions } },
        ...(signal ? { signal } : {}),
      });
    },
  };
}

function withMeta(
  row: Record<string, unknown>,
  type: string,
  p: KafkaPosition | undefined,
): Record<string, unknown> {
  return {
    ...row,
    [CHANGE_TYPE]: type,
    [SOURCE_PARTITION]: p?.partition ?? null,
    [SOURCE_OFFSET]: p ? BigInt(p.offset) - 1n : null,
  };
}

/** Builds an Arrow table of `schema` from row objects, converting JS values to each column's type. */
export function rowsToTable(schema: Schema, rows: Record<string, unknown>[]): Table {
  const columns: Record<string, Vector> = {};
  for (const f of schema.fields) {
    const b = makeBuilder({ type: f.type, nullValues: [null, undefined] });
    for (const r of rows) b.append(coerce(r[f.name], f));
    columns[f.name] = b.finish().toVector();
  }
  return new Table(schema, columns);
}

function coerce(v: unknown, f: Field): unknown {
  if (v === null || v === undefined) return null;
  const t = String(f.type);
  if (t.startsWith('Int64') || t.startsWith('Uint64'))
    return typeof v === 'bigint' ? v : BigInt(String(v).split('.')[0] ?? '0');
  if (t.startsWith('Int') || t.startsWith('Float')) return Number(v);
  if (t === 'Utf8') return typeof v === 'string' ? v : JSON.stringify(v);
  if (t === 'Bool') return v === true || v === 'true' || v === 1;
  return v;
}

/** Current rows of a change-log table: the last change per key, without deleted keys and meta columns. */
export async function materializeChangelog(
  store: ObjectStore,
  keyColumns: string[],
  signal?: AbortSignal,
): Promise<Record<string, unknown>[]> {
  const table = await openDeltaTable(store, signal ? { signal } : {});
  const data = await (await table.snapshot(signal ? { signal } : {})).toArrow(signal ? { signal } : {});
  const latest = new Map<string, { offset: bigint; row: Record<string, unknown> | undefined }>();
  for (const row of data) {
    const r = row.toJSON() as Record<string, unknown>;
    const key = keyOf(r, keyColumns);
    const offset =
      r[SOURCE_OFFSET] === null || r[SOURCE_OFFSET] === undefined ? -1n : BigInt(r[SOURCE_OFFSET] as bigint);
    const prev = latest.get(key);
    if (prev && prev.offset > offset) continue;
    const current = Object.fromEntries(Object.entries(r).filter(([k]) => !META.includes(k)));
    latest.set(key, { offset, row: r[CHANGE_TYPE] === 'delete' ? undefined : current });
  }
  return [...latest.values()].flatMap((v) => (v.row ? [v.row] : []));
}
