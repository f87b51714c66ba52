/**
 * Realistic Iceberg REST payloads for the catalog tests: format-v2 and format-v3 table metadata
 * with nested types, partitioning, sort orders, snapshots whose ids exceed 2^53, refs, logs and
 * statistics, shaped like what Iceberg's Java catalog returns.
 */
import type { PartitionSpec, Schema, SortOrder, ViewMetadata } from '../../src/iceberg/index.js';

export const SNAPSHOT_ID = 3051729675574597004n;
export const PARENT_SNAPSHOT_ID = 8744736658442914487n;
export const TABLE_UUID = '9c12d441-03fe-4693-9a96-a0705ddf69c1';

/** Collects an async iterable (Array.fromAsync is not in the ES2023 lib we compile against). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** JSON text with `bigint` values written as exact numbers (the wire form of 64-bit ids). */
export function jsonText(value: unknown): string {
  const raw = (JSON as unknown as { rawJSON: (t: string) => unknown }).rawJSON;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? raw(v.toString()) : v));
}

export const ordersSchema: Schema = {
  type: 'struct',
  'schema-id': 0,
  'identifier-field-ids': [1],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'customer', required: false, type: 'string', doc: 'customer name' },
    { id: 3, name: 'amount', required: false, type: 'decimal(10,2)' },
    { id: 4, name: 'ts', required: false, type: 'timestamptz' },
    {
      id: 5,
      name: 'tags',
      required: false,
      type: { type: 'list', 'element-id': 7, element: 'string', 'element-required': false },
    },
    {
      id: 6,
      name: 'attrs',
      required: false,
      type: {
        type: 'map',
        'key-id': 8,
        key: 'string',
        'value-id': 9,
        value: { type: 'struct', fields: [{ id: 10, name: 'score', required: false, type: 'int' }] },
        'value-required': false,
      },
    },
  ],
};

export const ordersSpec: PartitionSpec = {
  'spec-id': 0,
  fields: [{ name: 'ts_day', transform: 'day', 'source-id': 4, 'field-id': 1000 }],
};

export const ordersSortOrder: SortOrder = {
  'order-id': 1,
  fields: [{ transform: 'identity', 'source-id': 1, direction: 'asc', 'null-order': 'nulls-first' }],
};

export function tableMetadataV2(location = 's3://warehouse/sales/orders') {
  return {
    'format-version': 2,
    'table-uuid': TABLE_UUID,
    location,
    'last-sequence-number': 2,
    'last-updated-ms': 1764000000000,
    'last-column-id': 10,
    'current-schema-id': 0,
    schemas: [ordersSchema],
    'default-spec-id': 0,
    'partition-specs': [ordersSpec],
    'last-partition-id': 1000,
    'default-sort-order-id': 1,
    'sort-orders': [{ 'order-id': 0, fields: [] }, ordersSortOrder],
    properties: { 'write.format.default': 'parquet', owner: 'lakekit' },
    'current-snapshot-id': SNAPSHOT_ID,
    refs: {
      main: { 'snapshot-id': SNAPSHOT_ID, type: 'branch' },
      'audit-2026-11': { 'snapshot-id': PARENT_SNAPSHOT_ID, type: 'tag', 'max-ref-age-ms': 86400000 },
    },
    snapshots: [
      {
        'sequence-number': 1,
        'snapshot-id': PARENT_SNAPSHOT_ID,
        'timestamp-ms': 1763990000000,
        summary: { operation: 'append', 'added-data-files': '1', 'added-records': '10' },
        'manifest-list': `${location}/metadata/snap-${PARENT_SNAPSHOT_ID}-1-a.avro`,
        'schema-id': 0,
      },
      {
        'sequence-number': 2,
        'snapshot-id': SNAPSHOT_ID,
        'parent-snapshot-id': PARENT_SNAPSHOT_ID,
        'timestamp-ms': 1764000000000,
        summary: { operation: 'overwrite', 'deleted-records': '2', 'total-records': '8' },
        'manifest-list': `${location}/metadata/snap-${SNAPSHOT_ID}-1-b.avro`,
        'schema-id': 0,
      },
    ],
    statistics: [
      {
        'snapshot-id': SNAPSHOT_ID,
        'statistics-path': `${location}/metadata/stats.puffin`,
        'file-size-in-bytes': 413,
        'file-footer-size-in-bytes': 42,
        'blob-metadata': [
          {
            type: 'apache-datasketches-theta-v1',
            'snapshot-id': SNAPSHOT_ID,
            'sequence-number': 2,
            fields: [1],
            properties: { ndv: '8' },
          },
        ],
      },
    ],
    'partition-statistics': [
      {
        'snapshot-id': SNAPSHOT_ID,
        'statistics-path': `${location}/metadata/pstats.parquet`,
        'file-size-in-bytes': 980,
      },
    ],
    'snapshot-log': [
      { 'snapshot-id': PARENT_SNAPSHOT_ID, 'timestamp-ms': 1763990000000 },
      { 'snapshot-id': SNAPSHOT_ID, 'timestamp-ms': 1764000000000 },
    ],
    'metadata-log': [
      { 'metadata-file': `${location}/metadata/00001-a.metadata.json`, 'timestamp-ms': 1763990000000 },
    ],
  };
}

/** A format-v3 table: row lineage, column defaults, encryption keys. */
export function tableMetadataV3(location = 's3://warehouse/sales/events') {
  return {
    'format-version': 3,
    'table-uuid': 'f1b7c0de-58a1-4a6a-9e2b-7d8f4b7c3e21',
    location,
    'last-sequence-number': 1,
    'last-updated-ms': 1764000000000,
    'last-column-id': 3,
    'next-row-id': 100,
    'current-schema-id': 1,
    schemas: [
      {
        type: 'struct',
        'schema-id': 1,
        fields: [
          { id: 1, name: 'id', required: true, type: 'long' },
          { id: 2, name: 'payload', required: false, type: 'variant' },
          {
            id: 3,
            name: 'region',
            required: false,
            type: 'string',
            'initial-default': 'eu',
            'write-default': 'eu',
          },
        ],
      },
    ],
    'default-spec-id': 0,
    'partition-specs': [{ 'spec-id': 0, fields: [] }],
    'last-partition-id': 999,
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: {},
    'current-snapshot-id': 42,
    refs: { main: { 'snapshot-id': 42, type: 'branch' } },
    snapshots: [
      {
        'sequence-number': 1,
        'snapshot-id': 42,
        'timestamp-ms': 1764000000000,
        summary: { operation: 'append' },
        'manifest-list': `${location}/metadata/snap-42.avro`,
        'schema-id': 1,
        'first-row-id': 0,
        'added-rows': 100,
        'key-id': 'k1',
      },
    ],
    'encryption-keys': [{ 'key-id': 'k1', 'encrypted-key-metadata': 'AAECAw==', 'encrypted-by-id': 'kms-1' }],
    'snapshot-log': [{ 'snapshot-id': 42, 'timestamp-ms': 1764000000000 }],
    'metadata-log': [],
  };
}

export const viewMetadata: ViewMetadata = {
  'view-uuid': 'a20125c8-7284-442c-9aea-15fee620737c',
  'format-version': 1,
  location: 's3://warehouse/sales/recent_orders',
  'current-version-id': 1,
  versions: [
    {
      'version-id': 1,
      'timestamp-ms': 1764000000000,
      'schema-id': 0,
      summary: { 'engine-name': 'spark' },
      representations: [
        { type: 'sql', sql: 'SELECT * FROM sales.orders WHERE ts > now() - 1', dialect: 'spark' },
      ],
      'default-namespace': ['sales'],
    },
  ],
  'version-log': [{ 'version-id': 1, 'timestamp-ms': 1764000000000 }],
  schemas: [
    { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] },
  ],
  properties: { comment: 'orders of the last day' },
};
