/**
 * A CDC sink target that keeps an Iceberg table equal to its source table: each batch deletes the
 * keys deleted at the source and upserts the changed rows (lakekit/iceberg's copy-on-write
 * `delete` and `upsert`), and the last commit of the batch carries the Kafka positions in its
 * snapshot summary (`lakekit.sink.<id>`). Re-applying a batch after a crash between its two
 * commits is harmless — deleting and upserting the same keys again gives the same table — so a
 * restart from the stored positions neither loses nor duplicates a row.
 */
import type { IcebergRestCatalog } from '../iceberg/catalog.js';
import {
  and,
  createIcebergTable,
  eq,
  type IcebergTable,
  isIn,
  loadIcebergTable,
  makeSchema,
  or,
  type table,
} from '../iceberg/index.js';
import type { S3Settings } from '../iceberg/table/store-io.js';
import type { SinkTarget } from './cdc-sink.js';
import type { ChangeBatch, KafkaPosition } from './changes.js';

export interface IcebergSinkOptions {
  catalog: IcebergRestCatalog;
  namespace: string[];
  name: string;
  /** Identifies this sink in snapshot summaries; positions are looked up by it. */
  sinkId: string;
  /** Table schema used when the table is created (the key columns become identifier fields). */
  fields: table.NestedField[];
  keyColumns: string[];
  /** S3 settings for data files when the catalog vends none. */
  s3?: S3Settings;
}

export function icebergTarget(o: IcebergSinkOptions): SinkTarget & { table(): Promise<IcebergTable> } {
  const prop = `lakekit.sink.${o.sinkId}`;
  const ident = { namespace: o.namespace, name: o.name };
  const loadOpts = o.s3 ? { s3: o.s3 } : {};
  let cached: IcebergTable | undefined;

  const open = async (create: boolean): Promise<IcebergTable | undefined> => {
    if (cached) return cached.refresh();
    if (await o.catalog.tableExists(ident)) {
      cached = await loadIcebergTable(o.catalog, ident, loadOpts);
      return cached;
    }
    if (!create) return undefined;
    if (!(await o.catalog.namespaceExists(o.namespace))) {
      await o.catalog.createNamespace(o.namespace).catch((e: { isAlreadyExists?: () => boolean }) => {
        if (!e.isAlreadyExists?.()) throw e;
      });
    }
    const ids = o.keyColumns.map((k) => {
      const f = o.fields.find((x) => x.name === k);
      if (!f) throw new Error(`key column ${k} is not among the fields`);
      return f.id;
    });
    cached = await createIcebergTable(o.catalog, o.namespace, o.name, {
      schema: makeSchema(o.fields, 0, ids),
      ...loadOpts,
    });
    return cached;
  };

  const keyFilter = (keys: Record<string, unknown>[]) => {
    if (o.keyColumns.length === 1) {
      const k = o.keyColumns[0] as string;
      return isIn(
        k,
        keys.map((r) => r[k] as never),
      );
    }
    return or(...keys.map((r) => and(...o.keyColumns.map((k) => eq(k, r[k] as never)))));
  };

  return {
    description: `iceberg://${[...o.namespace, o.name].join('.')}`,
    async table() {
      const t = await open(false);
      if (!t) throw new Error(`iceberg table ${[...o.namespace, o.name].join('.')} does not exist yet`);
      return t;
    },
    async committedPositions() {
      const t = await open(false);
      if (!t) return [];
      const newestFirst = [...t.snapshots()].sort((a, b) => (a.sequenceNumber < b.sequenceNumber ? 1 : -1));
      for (const s of newestFirst) {
        const v = s.summary[prop];
        if (v) return JSON.parse(v) as KafkaPosition[];
      }
      return [];
    },
    async apply(batch: ChangeBatch, signal) {
      if (batch.upserts.length === 0 && batch.deletes.length === 0) return;
      const t = (await open(true)) as IcebergTable;
      const snapshotProperties = { [prop]: JSON.stringify(batch.positions) };
      const base = signal ? { signal } : {};
      if (batch.deletes.length > 0) {
        await t.delete(keyFilter(batch.deletes), {
          ...base,
          ...(batch.upserts.length === 0 ? { snapshotProperties } : {}),
        });
      }
      if (batch.upserts.length > 0) {
        await t.upsert(batch.upserts, { ...base, keys: o.keyColumns, snapshotProperties });
      }
    },
  };
}
