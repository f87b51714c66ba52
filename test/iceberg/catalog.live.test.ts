import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  createIcebergCatalog,
  type IcebergError,
  type IcebergRestCatalog,
  type Schema,
  type TableUpdate,
} from '../../src/iceberg/index.js';
import { liveContract } from '../support/contract.js';
import { describeLive, env, liveS3, uniqueName } from '../support/live.js';
import { collect } from './catalog-fixtures.js';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  'identifier-field-ids': [1],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'customer', required: false, type: 'string' },
    { id: 3, name: 'amount', required: false, type: 'decimal(10,2)' },
    { id: 4, name: 'ts', required: false, type: 'timestamptz' },
    {
      id: 5,
      name: 'tags',
      required: false,
      type: { type: 'list', 'element-id': 8, element: 'string', 'element-required': false },
    },
    {
      id: 6,
      name: 'attrs',
      required: false,
      type: {
        type: 'map',
        'key-id': 9,
        key: 'string',
        'value-id': 10,
        value: 'int',
        'value-required': false,
      },
    },
    {
      id: 7,
      name: 'address',
      required: false,
      type: { type: 'struct', fields: [{ id: 11, name: 'city', required: false, type: 'string' }] },
    },
  ],
};

/** Keys under an `s3://bucket/path` location on the stack's S3, or undefined for other warehouses. */
async function s3KeysUnder(
  s3: S3Client,
  location: string,
): Promise<{ bucket: string; keys: string[] } | undefined> {
  const m = /^s3a?:\/\/([^/]+)\/(.*)$/.exec(location);
  if (!m?.[1]) return undefined;
  const bucket = m[1];
  const prefix = `${(m[2] ?? '').replace(/\/+$/, '')}/`;
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  return { bucket, keys };
}

const catchErr = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as IcebergError,
  );

describeLive(['iceberg', 's3'], 'Iceberg REST catalog against RESTCatalogServer', () => {
  let catalog: IcebergRestCatalog;
  let contract: ReturnType<typeof liveContract>;
  let s3: S3Client;
  const ns = uniqueName('lk_ns');
  const tables: string[] = [];
  /** Locations the catalog gave our tables and views; emptied on S3 at the end. */
  const locations = new Set<string>();

  beforeAll(() => {
    const url = env('LAKEKIT_ICEBERG_URL');
    contract = liveContract('iceberg-rest', url);
    catalog = createIcebergCatalog({
      baseUrl: url,
      warehouse: env('LAKEKIT_ICEBERG_WAREHOUSE'),
      middleware: [contract.middleware],
    });
    s3 = new S3Client({
      ...liveS3(),
    });
  });

  afterEach(() => {
    expect(contract.violations.splice(0), 'responses that break specs/iceberg-rest.yaml').toEqual([]);
  });

  afterAll(async () => {
    if (!catalog) return;
    // Leave nothing behind, even when a test failed half-way.
    for (const name of tables) {
      if (await catalog.tableExists({ namespace: [ns], name }).catch(() => false)) {
        await catalog.dropTable({ namespace: [ns], name }, { purge: true }).catch(() => undefined);
      }
    }
    if (await catalog.namespaceExists([ns]).catch(() => false))
      await catalog.dropNamespace([ns]).catch(() => undefined);
    // Dropped views and tables dropped without purge leave metadata files behind by design.
    for (const location of locations) {
      const found = await s3KeysUnder(s3, location).catch(() => undefined);
      if (found?.keys.length) {
        await s3.send(
          new DeleteObjectsCommand({
            Bucket: found.bucket,
            Delete: { Objects: found.keys.map((Key) => ({ Key })) },
          }),
        );
      }
    }
    s3?.destroy();
  });

  it('negotiates config', async () => {
    const cfg = await catalog.config();
    expect(typeof cfg.prefix).toBe('string');
    expect(cfg.namespaceSeparator.length).toBeGreaterThan(0);
    expect(cfg.server.defaults).toBeTypeOf('object');
  });

  it('creates, loads, updates, lists and checks a namespace', async () => {
    const created = await catalog.createNamespace([ns], { owner: 'lakekit-live' });
    expect(created.namespace).toEqual([ns]);
    expect(await catalog.namespaceExists([ns])).toBe(true);
    expect(await catalog.namespaceExists([`${ns}_missing`])).toBe(false);
    const loaded = await catalog.loadNamespace([ns]);
    expect(loaded.properties?.owner).toBe('lakekit-live');
    const upd = await catalog.updateNamespaceProperties([ns], {
      updates: { team: 'cdc' },
      removals: ['owner'],
    });
    expect(upd.updated).toContain('team');
    expect(upd.removed).toContain('owner');
    const all = await collect(catalog.iterateNamespaces(undefined, { pageSize: 2 }));
    expect(all).toContainEqual([ns]);
    const again = await catchErr(catalog.createNamespace([ns]));
    expect(again?.isAlreadyExists()).toBe(true);
  });

  it('creates a table, loads it, lists it, commits to it, renames it and drops it with purge', async () => {
    tables.push('orders', 'orders_renamed');
    const created = await catalog.createTable([ns], {
      name: 'orders',
      schema,
      'partition-spec': { fields: [{ name: 'ts_day', transform: 'day', 'source-id': 4 }] },
      'write-order': {
        'order-id': 1,
        fields: [{ transform: 'identity', 'source-id': 1, direction: 'asc', 'null-order': 'nulls-first' }],
      },
      properties: { owner: 'lakekit-live' },
    });
    const uuid = created.metadata['table-uuid'];
    const location = created.metadata.location ?? '';
    locations.add(location);
    expect(created['metadata-location']).toMatch(/\.metadata\.json$/);
    expect(created.metadata.location).toContain(ns);

    const loaded = await catalog.loadTable([ns, 'orders'].join('.'));
    expect(loaded.metadata['table-uuid']).toBe(uuid);
    const fields = loaded.metadata.schemas?.[0]?.fields.map((f) => f.name);
    expect(fields).toEqual(['id', 'customer', 'amount', 'ts', 'tags', 'attrs', 'address']);
    expect(loaded.metadata['partition-specs']?.[0]?.fields[0]?.transform).toBe('day');
    expect(await catalog.tableExists({ namespace: [ns], name: 'orders' })).toBe(true);
    const listed = await collect(catalog.iterateTables([ns], { pageSize: 1 }));
    expect(listed.map((t) => t.name)).toContain('orders');

    const committed = await catalog.commitTable(
      { namespace: [ns], name: 'orders' },
      {
        requirements: [{ type: 'assert-table-uuid', uuid }],
        updates: [{ action: 'set-properties', updates: { 'lakekit.test': 'yes' } }],
      },
    );
    expect(committed.metadata.properties?.['lakekit.test']).toBe('yes');
    const stale = await catchErr(
      catalog.commitTable(
        { namespace: [ns], name: 'orders' },
        {
          requirements: [{ type: 'assert-current-schema-id', 'current-schema-id': 99 }],
          updates: [{ action: 'remove-properties', removals: ['lakekit.test'] }],
        },
      ),
    );
    expect(stale?.isCommitFailed()).toBe(true);
    expect(stale?.isCommitStateUnknown()).toBe(false);

    await catalog.reportMetrics(
      { namespace: [ns], name: 'orders' },
      {
        'report-type': 'commit-report',
        'table-name': `${ns}.orders`,
        'snapshot-id': 1,
        'sequence-number': 1,
        operation: 'append',
        metrics: { 'added-records': { unit: 'count', value: 0 } },
      },
    );

    await catalog.renameTable(
      { namespace: [ns], name: 'orders' },
      { namespace: [ns], name: 'orders_renamed' },
    );
    expect(await catalog.tableExists({ namespace: [ns], name: 'orders' })).toBe(false);
    expect(await catalog.tableExists({ namespace: [ns], name: 'orders_renamed' })).toBe(true);
    const missing = await catchErr(catalog.loadTable({ namespace: [ns], name: 'orders' }));
    expect(missing?.isNoSuchTable()).toBe(true);

    const notEmpty = await catchErr(catalog.dropNamespace([ns]));
    expect(notEmpty?.isNamespaceNotEmpty()).toBe(true);

    const before = await s3KeysUnder(s3, location);
    await catalog.dropTable({ namespace: [ns], name: 'orders_renamed' }, { purge: true });
    expect(await catalog.tableExists({ namespace: [ns], name: 'orders_renamed' })).toBe(false);
    if (before) {
      // On the S3 warehouse: the table had metadata files, and purge removed every one of them.
      expect(before.keys.filter((k) => k.endsWith('.metadata.json')).length).toBeGreaterThanOrEqual(2);
      expect((await s3KeysUnder(s3, location))?.keys).toEqual([]);
    }
  });

  it('stages a create and commits it with assert-create (a create-table transaction)', async () => {
    tables.push('events');
    const staged = await catalog.stageCreateTable([ns], { name: 'events', schema });
    locations.add(staged.metadata.location ?? '');
    expect(await catalog.tableExists({ namespace: [ns], name: 'events' })).toBe(false);
    const m = staged.metadata;
    const updates: TableUpdate[] = [
      { action: 'assign-uuid', uuid: m['table-uuid'] },
      { action: 'upgrade-format-version', 'format-version': m['format-version'] },
      { action: 'add-schema', schema: m.schemas?.[0] ?? schema },
      { action: 'set-current-schema', 'schema-id': -1 },
      { action: 'add-spec', spec: m['partition-specs']?.[0] ?? { fields: [] } },
      { action: 'set-default-spec', 'spec-id': -1 },
      { action: 'add-sort-order', 'sort-order': m['sort-orders']?.[0] ?? { 'order-id': 0, fields: [] } },
      { action: 'set-default-sort-order', 'sort-order-id': -1 },
      { action: 'set-location', location: m.location ?? '' },
      { action: 'set-properties', updates: { 'created-by': 'lakekit' } },
    ];
    const done = await catalog.commitTable(
      { namespace: [ns], name: 'events' },
      { requirements: [{ type: 'assert-create' }], updates },
    );
    expect(done.metadata['table-uuid']).toBe(m['table-uuid']);
    expect(await catalog.tableExists({ namespace: [ns], name: 'events' })).toBe(true);
    await catalog.dropTable({ namespace: [ns], name: 'events' }, { purge: true });
  });

  it('round-trips 64-bit snapshot ids exactly through commits and loads', async () => {
    tables.push('ids');
    const big = 3051729675574597004n;
    const created = await catalog.createTable([ns], { name: 'ids', schema });
    locations.add(created.metadata.location ?? '');
    const id = { namespace: [ns], name: 'ids' };
    const asNumber = (v: bigint) => v as unknown as number;
    await catalog.commitTable(id, {
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }],
      updates: [
        {
          action: 'add-snapshot',
          snapshot: {
            'snapshot-id': asNumber(big),
            'sequence-number': 1,
            'timestamp-ms': Date.now(),
            // Never read by a metadata-only commit; removed again below so that purge has nothing to read.
            'manifest-list': `${created.metadata.location}/metadata/snap-lakekit-placeholder.avro`,
            summary: { operation: 'append' },
            'schema-id': 0,
          },
        },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': asNumber(big) },
      ],
    });
    const loaded = await catalog.loadTable(id, { snapshots: 'refs' });
    expect(loaded.metadata['current-snapshot-id']).toBe(big);
    expect(loaded.metadata.refs?.main?.['snapshot-id']).toBe(big);
    const wrong = await catchErr(
      catalog.commitTable(id, {
        requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': asNumber(big + 1n) }],
        updates: [{ action: 'set-properties', updates: { a: '1' } }],
      }),
    );
    expect(wrong?.isCommitFailed()).toBe(true);
    const ok = await catalog.commitTable(id, {
      requirements: [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': asNumber(big) }],
      updates: [
        { action: 'remove-snapshot-ref', 'ref-name': 'main' },
        { action: 'remove-snapshots', 'snapshot-ids': [asNumber(big)] },
      ],
    });
    expect(ok.metadata.snapshots ?? []).toEqual([]);
    await catalog.dropTable(id, { purge: true });
  });

  it('registers a metadata file as a second table and commits a multi-table transaction', async () => {
    tables.push('src', 'src_copy');
    const src = await catalog.createTable([ns], { name: 'src', schema });
    locations.add(src.metadata.location ?? '');
    const copy = await catalog.registerTable(
      { namespace: [ns], name: 'src_copy' },
      src['metadata-location'] ?? '',
    );
    expect(copy.metadata['table-uuid']).toBe(src.metadata['table-uuid']);
    await catalog.commitTransaction([
      {
        identifier: { namespace: [ns], name: 'src' },
        requirements: [{ type: 'assert-table-uuid', uuid: src.metadata['table-uuid'] }],
        updates: [{ action: 'set-properties', updates: { txn: 'one' } }],
      },
      {
        identifier: { namespace: [ns], name: 'src_copy' },
        requirements: [],
        updates: [{ action: 'set-properties', updates: { txn: 'two' } }],
      },
    ]);
    expect((await catalog.loadTable({ namespace: [ns], name: 'src' })).metadata.properties?.txn).toBe('one');
    expect((await catalog.loadTable({ namespace: [ns], name: 'src_copy' })).metadata.properties?.txn).toBe(
      'two',
    );
    // The copy shares the source's files: drop it without purge, then purge the source.
    await catalog.dropTable({ namespace: [ns], name: 'src_copy' });
    await catalog.dropTable({ namespace: [ns], name: 'src' }, { purge: true });
  });

  it('creates, loads, lists, replaces, renames and drops a view', async () => {
    const viewSchema: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: [{ id: 1, name: 'n', required: false, type: 'int' }],
    };
    const version = {
      'version-id': 1,
      'timestamp-ms': Date.now(),
      'schema-id': 0,
      summary: { 'engine-name': 'lakekit' },
      representations: [{ type: 'sql' as const, sql: 'SELECT 1 AS n', dialect: 'spark' }],
      'default-namespace': [ns],
    };
    const created = await catalog.createView([ns], {
      name: 'v1',
      schema: viewSchema,
      'view-version': version,
      properties: { comment: 'lakekit live' },
    });
    const v1 = { namespace: [ns], name: 'v1' };
    locations.add(created.metadata.location);
    expect(await catalog.viewExists(v1)).toBe(true);
    expect((await catalog.loadView(v1)).metadata['view-uuid']).toBe(created.metadata['view-uuid']);
    expect((await collect(catalog.iterateViews([ns]))).map((v) => v.name)).toContain('v1');
    const replaced = await catalog.replaceView(v1, {
      requirements: [{ type: 'assert-view-uuid', uuid: created.metadata['view-uuid'] }],
      updates: [
        {
          action: 'add-view-version',
          'view-version': {
            ...version,
            'version-id': 2,
            representations: [{ type: 'sql', sql: 'SELECT 2 AS n', dialect: 'spark' }],
          },
        },
        { action: 'set-current-view-version', 'view-version-id': -1 },
      ],
    });
    expect(replaced.metadata['current-version-id']).toBe(2);
    await catalog.renameView(v1, { namespace: [ns], name: 'v2' });
    expect(await catalog.viewExists(v1)).toBe(false);
    await catalog.dropView({ namespace: [ns], name: 'v2' });
    const gone = await catchErr(catalog.loadView({ namespace: [ns], name: 'v2' }));
    expect(gone?.isNoSuchView()).toBe(true);
  });

  it('drops the namespace once empty', async () => {
    await catalog.dropNamespace([ns]);
    expect(await catalog.namespaceExists([ns])).toBe(false);
    const gone = await catchErr(catalog.loadNamespace([ns]));
    expect(gone?.isNoSuchNamespace()).toBe(true);
    // The real answers of these operations were checked against the spec along the way.
    expect([...contract.covered]).toEqual(
      expect.arrayContaining([
        'getConfig',
        'createNamespace',
        'loadNamespaceMetadata',
        'namespaceExists',
        'updateProperties',
        'listNamespaces',
        'dropNamespace',
        'createTable',
        'loadTable',
        'tableExists',
        'listTables',
        'updateTable',
        'reportMetrics',
        'renameTable',
        'registerTable',
        'commitTransaction',
        'dropTable',
        'createView',
        'loadView',
        'listViews',
        'viewExists',
        'replaceView',
        'renameView',
        'dropView',
      ]),
    );
  });
});
