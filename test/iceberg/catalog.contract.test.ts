import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  createIcebergCatalog,
  type IcebergCatalogOptions,
  IcebergError,
  type PlanTableScanRequest,
  type TableUpdate,
} from '../../src/iceberg/index.js';
import { contractServer } from '../support/contract.js';
import {
  collect,
  jsonText,
  ordersSchema,
  ordersSortOrder,
  ordersSpec,
  PARENT_SNAPSHOT_ID,
  SNAPSHOT_ID,
  TABLE_UUID,
  tableMetadataV2,
  tableMetadataV3,
  viewMetadata,
} from './catalog-fixtures.js';

const BASE = 'http://catalog.test';
const WS = `${BASE}/v1/ws`;
const mock = contractServer('iceberg-rest', BASE, { requireFullCoverage: true });

const catalog = (o: Partial<IcebergCatalogOptions> = {}) =>
  createIcebergCatalog({
    baseUrl: BASE,
    warehouse: 'wh',
    retry: { random: () => 0, baseDelayMs: 1 },
    ...o,
  });

const configured = (
  overrides: Record<string, string> = { prefix: 'ws' },
  extra: Record<string, unknown> = {},
) => http.get(`${BASE}/v1/config`, () => HttpResponse.json({ defaults: {}, overrides, ...extra }));

const icebergError = (status: number, type: string, message = `${type}: it happened`) =>
  HttpResponse.json({ error: { message, type, code: status } }, { status });

const rawJson = (text: string, status = 200, headers: Record<string, string> = {}) =>
  new HttpResponse(text, { status, headers: { 'content-type': 'application/json', ...headers } });

const loadResult = (metadata: unknown, config: Record<string, string> = {}) =>
  jsonText({
    'metadata-location': 's3://warehouse/sales/orders/metadata/00002-b.metadata.json',
    metadata,
    config,
  });

const commitResult = (metadata: unknown) =>
  jsonText({ 'metadata-location': 's3://warehouse/sales/orders/metadata/00003-c.metadata.json', metadata });

const noContent = () => new HttpResponse(null, { status: 204 });

/** msw records request bodies asynchronously; let it finish before inspecting `mock.requests`. */
const settle = () => new Promise((r) => setTimeout(r, 20));

const catchErr = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as IcebergError,
  );

/** Every kind of table update, with values as a writer would send them. */
const everyUpdate: TableUpdate[] = [
  { action: 'assign-uuid', uuid: TABLE_UUID },
  { action: 'upgrade-format-version', 'format-version': 3 },
  {
    action: 'add-schema',
    schema: {
      ...ordersSchema,
      'schema-id': 1,
      fields: [
        ...ordersSchema.fields,
        {
          id: 11,
          name: 'region',
          required: false,
          type: 'string',
          'initial-default': 'eu',
          'write-default': 'eu',
        },
      ],
    },
  },
  { action: 'set-current-schema', 'schema-id': -1 },
  {
    action: 'add-spec',
    spec: { fields: [{ name: 'id_bucket', transform: 'bucket[16]', 'source-id': 1, 'field-id': 1001 }] },
  },
  { action: 'set-default-spec', 'spec-id': -1 },
  { action: 'add-sort-order', 'sort-order': ordersSortOrder },
  { action: 'set-default-sort-order', 'sort-order-id': 1 },
  {
    action: 'add-snapshot',
    snapshot: {
      'snapshot-id': SNAPSHOT_ID as unknown as number,
      'parent-snapshot-id': PARENT_SNAPSHOT_ID as unknown as number,
      'sequence-number': 3,
      'timestamp-ms': 1764000100000,
      'manifest-list': 's3://warehouse/sales/orders/metadata/snap-3.avro',
      summary: { operation: 'append', 'added-records': '5' },
      'schema-id': 1,
      'first-row-id': 100,
      'added-rows': 5,
    },
  },
  {
    action: 'set-snapshot-ref',
    'ref-name': 'main',
    type: 'branch',
    'snapshot-id': SNAPSHOT_ID as unknown as number,
  },
  { action: 'remove-snapshots', 'snapshot-ids': [PARENT_SNAPSHOT_ID as unknown as number] },
  { action: 'remove-snapshot-ref', 'ref-name': 'audit-2026-11' },
  { action: 'set-location', location: 's3://warehouse/sales/orders2' },
  { action: 'set-properties', updates: { 'commit.retry.num-retries': '4' } },
  { action: 'remove-properties', removals: ['owner'] },
  {
    action: 'set-statistics',
    statistics: {
      'snapshot-id': 42,
      'statistics-path': 's3://warehouse/sales/orders/metadata/s.puffin',
      'file-size-in-bytes': 100,
      'file-footer-size-in-bytes': 20,
      'blob-metadata': [],
    },
  },
  { action: 'remove-statistics', 'snapshot-id': 42 },
  {
    action: 'set-partition-statistics',
    'partition-statistics': {
      'snapshot-id': 42,
      'statistics-path': 's3://warehouse/sales/orders/metadata/p.parquet',
      'file-size-in-bytes': 300,
    },
  },
  { action: 'remove-partition-statistics', 'snapshot-id': 42 },
  { action: 'remove-partition-specs', 'spec-ids': [0] },
  { action: 'remove-schemas', 'schema-ids': [0] },
  { action: 'add-encryption-key', 'encryption-key': { 'key-id': 'k2', 'encrypted-key-metadata': 'AQID' } },
  { action: 'remove-encryption-key', 'key-id': 'k1' },
];

describe('Iceberg REST catalog: configuration and paths', () => {
  it('negotiates /v1/config once for concurrent callers and uses its prefix and separator', async () => {
    let configCalls = 0;
    mock.use(
      http.get(`${BASE}/v1/config`, ({ request }) => {
        configCalls++;
        expect(new URL(request.url).searchParams.get('warehouse')).toBe('wh');
        return HttpResponse.json({
          defaults: { 'write.format.default': 'parquet', prefix: 'ignored-by-override' },
          overrides: { prefix: 'ws', 'namespace-separator': '%1F' },
          endpoints: ['GET /v1/{prefix}/namespaces', 'HEAD /v1/{prefix}/namespaces/{namespace}'],
        });
      }),
      http.get(`${WS}/namespaces`, () => HttpResponse.json({ namespaces: [['a'], ['b']] })),
      http.head(`${WS}/namespaces/:ns`, () => noContent()),
    );
    const c = catalog();
    const [page, exists] = await Promise.all([c.listNamespaces(), c.namespaceExists(['a', 'b'])]);
    expect(configCalls).toBe(1);
    expect(page.namespaces).toEqual([['a'], ['b']]);
    expect(page.nextPageToken).toBeUndefined();
    expect(exists).toBe(true);
    const cfg = await c.config();
    expect(cfg.prefix).toBe('ws');
    expect(cfg.namespaceSeparator).toBe('\u001f');
    expect(cfg.properties).toMatchObject({
      warehouse: 'wh',
      'write.format.default': 'parquet',
      prefix: 'ws',
    });
    expect(cfg.endpoints).toHaveLength(2);
    expect(cfg.idempotencyKeys).toBe(false);
    await settle();
    const paths = mock.requests.map((r) => r.path);
    expect(paths).toContain('/v1/ws/namespaces/a%1Fb');
  });

  it('omits the prefix segment when config returns none (as RESTCatalogServer does)', async () => {
    mock.use(
      configured({ 'namespace-separator': '%1F' }),
      http.get(`${BASE}/v1/namespaces/:ns`, () => HttpResponse.json({ namespace: ['db'], properties: null })),
    );
    const ns = await catalog().loadNamespace('db');
    expect(ns.properties).toBeNull();
    await settle();
    expect(mock.requests.map((r) => r.path)).toEqual(['/v1/config', '/v1/namespaces/db']);
  });

  it('joins namespace levels with the advertised separator, falling back to %1F when a level contains it', async () => {
    mock.use(
      configured({ 'namespace-separator': '%2E' }),
      http.head(`${BASE}/v1/namespaces/:ns`, () => noContent()),
    );
    const c = catalog();
    expect(await c.namespaceExists(['sales', 'eu'])).toBe(true);
    expect(await c.namespaceExists(['sales', 'v1.2'])).toBe(true);
    await settle();
    expect(mock.requests.filter((r) => r.method === 'HEAD').map((r) => r.path)).toEqual([
      '/v1/namespaces/sales.eu',
      '/v1/namespaces/sales%1Fv1.2',
    ]);
  });

  it('lets the caller override the prefix, keeping the slashes of a multi-segment one', async () => {
    mock.use(
      configured(),
      http.get(`${BASE}/v1/cat/main/namespaces/:ns/tables`, () =>
        HttpResponse.json({ identifiers: [{ namespace: ['db'], name: 't' }], 'next-page-token': null }),
      ),
    );
    const page = await catalog({ prefix: 'cat/main' }).listTables('db');
    expect(page.identifiers).toEqual([{ namespace: ['db'], name: 't' }]);
    await settle();
    expect(mock.requests.at(-1)?.path).toBe('/v1/cat/main/namespaces/db/tables');
  });

  it('retries a GET on 503 and then succeeds', async () => {
    let calls = 0;
    mock.use(
      configured(),
      http.get(`${WS}/namespaces/:ns/tables/:t`, () => {
        calls++;
        return calls < 3 ? icebergError(503, 'SlowDownException') : rawJson(loadResult(tableMetadataV2()));
      }),
    );
    const t = await catalog().loadTable('sales.orders');
    expect(calls).toBe(3);
    expect(t.metadata['table-uuid']).toBe(TABLE_UUID);
  });

  it('rejects bad identifiers before sending anything', async () => {
    mock.use(configured());
    const c = catalog();
    for (const bad of ['orders', 'sales..orders', '.orders']) {
      const e = await catchErr(c.loadTable(bad));
      expect(e).toBeInstanceOf(IcebergError);
      expect(e?.kind).toBe('validation');
      expect(e?.isBadRequest()).toBe(true);
    }
    const empty = await catchErr(c.createNamespace([]));
    expect(empty?.kind).toBe('validation');
    expect(() => createIcebergCatalog({ baseUrl: BASE, credential: 'no-colon' })).toThrow(
      /client-id:client-secret/,
    );
    await settle();
    expect(mock.requests.filter((r) => r.path !== '/v1/config')).toEqual([]);
  });

  it('honours the caller AbortSignal', async () => {
    mock.use(
      configured(),
      http.get(`${WS}/namespaces/:ns`, async () => {
        await new Promise((r) => setTimeout(r, 300));
        return HttpResponse.json({ namespace: ['db'] });
      }),
    );
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const e = await catchErr(catalog().loadNamespace('db', { signal: ac.signal }));
    expect(e?.isAborted()).toBe(true);
  });
});

describe('Iceberg REST catalog: OAuth2', () => {
  it('fetches one client-credentials token, shares it, and refreshes it on 401', async () => {
    const forms: Record<string, string>[] = [];
    const seen: string[] = [];
    mock.use(
      http.post(`${BASE}/v1/oauth/tokens`, async ({ request }) => {
        forms.push(Object.fromEntries(new URLSearchParams(await request.text())));
        return HttpResponse.json({
          access_token: `tok${forms.length}`,
          token_type: 'bearer',
          expires_in: 3600,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        });
      }),
      http.get(`${BASE}/v1/config`, ({ request }) => {
        seen.push(request.headers.get('authorization') ?? '');
        return HttpResponse.json({ defaults: {}, overrides: { prefix: 'ws' } });
      }),
      http.head(`${WS}/namespaces/:ns`, ({ request }) => {
        const auth = request.headers.get('authorization') ?? '';
        seen.push(auth);
        return auth === 'Bearer tok1' && seen.length > 3
          ? new HttpResponse(null, { status: 401 })
          : noContent();
      }),
    );
    const c = catalog({ credential: 'client-a:s3cr3t-secret' });
    await Promise.all([c.namespaceExists('a'), c.namespaceExists('b')]);
    expect(forms).toHaveLength(1);
    expect(forms[0]).toEqual({
      grant_type: 'client_credentials',
      client_id: 'client-a',
      client_secret: 's3cr3t-secret',
      scope: 'catalog',
    });
    expect(await c.namespaceExists('c')).toBe(true);
    expect(forms).toHaveLength(2);
    expect(seen).toEqual(['Bearer tok1', 'Bearer tok1', 'Bearer tok1', 'Bearer tok1', 'Bearer tok2']);
  });

  it('reports a rejected credential without leaking the secret', async () => {
    mock.use(
      http.post(`${BASE}/v1/oauth/tokens`, () =>
        HttpResponse.json(
          { error: 'invalid_client', error_description: 'unknown client client-a with s3cr3t-secret' },
          { status: 401 },
        ),
      ),
    );
    const e = await catchErr(catalog({ credential: 'client-a:s3cr3t-secret' }).listNamespaces());
    expect(e?.status).toBe(401);
    expect(e?.code).toBe('invalid_client');
    expect(e?.message).toContain('/v1/oauth/tokens');
    expect(e?.message).not.toContain('s3cr3t-secret');
  });

  it('sends a fixed bearer token', async () => {
    mock.use(
      configured(),
      http.get(`${WS}/namespaces`, () => HttpResponse.json({ namespaces: [] })),
    );
    await catalog({ token: 'static-token-1' }).listNamespaces();
    await settle();
    expect(mock.requests.at(-1)?.headers.get('authorization')).toBe('Bearer static-token-1');
  });
});

describe('Iceberg REST catalog: namespaces', () => {
  it('creates, loads, updates, checks and drops a multi-level namespace', async () => {
    mock.use(
      configured(),
      http.post(`${WS}/namespaces`, async ({ request }) => {
        const body = (await request.json()) as { namespace: string[]; properties: Record<string, string> };
        return HttpResponse.json({
          namespace: body.namespace,
          properties: { ...body.properties, created: 'now' },
        });
      }),
      http.get(`${WS}/namespaces/:ns`, ({ params }) =>
        HttpResponse.json({ namespace: String(params.ns).split('\u001f'), properties: { owner: 'lk' } }),
      ),
      http.post(`${WS}/namespaces/:ns/properties`, () =>
        HttpResponse.json({ updated: ['owner'], removed: ['tmp'], missing: ['absent'] }),
      ),
      http.head(`${WS}/namespaces/:ns`, ({ params }) =>
        params.ns === 'sales\u001feu' ? noContent() : new HttpResponse(null, { status: 404 }),
      ),
      http.delete(`${WS}/namespaces/:ns`, () => noContent()),
    );
    const c = catalog();
    const created = await c.createNamespace(['sales', 'eu'], { owner: 'lk' });
    expect(created).toEqual({ namespace: ['sales', 'eu'], properties: { owner: 'lk', created: 'now' } });
    expect(await c.loadNamespace('sales.eu')).toEqual({
      namespace: ['sales', 'eu'],
      properties: { owner: 'lk' },
    });
    const upd = await c.updateNamespaceProperties(['sales', 'eu'], {
      updates: { owner: 'lk2' },
      removals: ['tmp', 'absent'],
    });
    expect(upd.missing).toEqual(['absent']);
    expect(await c.namespaceExists('sales.eu')).toBe(true);
    expect(await c.namespaceExists('sales.us')).toBe(false);
    await c.dropNamespace(['sales', 'eu']);
    await settle();
    const sent = mock.requests.filter((r) => r.path !== '/v1/config');
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /v1/ws/namespaces',
      'GET /v1/ws/namespaces/sales%1Feu',
      'POST /v1/ws/namespaces/sales%1Feu/properties',
      'HEAD /v1/ws/namespaces/sales%1Feu',
      'HEAD /v1/ws/namespaces/sales%1Fus',
      'DELETE /v1/ws/namespaces/sales%1Feu',
    ]);
    expect(sent[0]?.body).toEqual({ namespace: ['sales', 'eu'], properties: { owner: 'lk' } });
    expect(sent[2]?.body).toEqual({ updates: { owner: 'lk2' }, removals: ['tmp', 'absent'] });
  });

  it('iterates every page of namespaces under a parent, starting with an empty pageToken', async () => {
    const queries: string[] = [];
    mock.use(
      configured(),
      http.get(`${WS}/namespaces`, ({ request }) => {
        const q = new URL(request.url).searchParams;
        queries.push(`${q.get('parent')}|${q.get('pageToken')}|${q.get('pageSize')}`);
        return q.get('pageToken') === ''
          ? HttpResponse.json({
              namespaces: [
                ['a', 'x'],
                ['a', 'y'],
              ],
              'next-page-token': 'p2',
            })
          : HttpResponse.json({ namespaces: [['a', 'z']], 'next-page-token': null });
      }),
    );
    const all = await collect(catalog().iterateNamespaces(['a'], { pageSize: 2 }));
    expect(all).toEqual([
      ['a', 'x'],
      ['a', 'y'],
      ['a', 'z'],
    ]);
    expect(queries).toEqual(['a||2', 'a|p2|2']);
    await settle();
    expect(mock.requests.at(-1)?.path).toBe('/v1/ws/namespaces');
  });

  it('stops with a protocol error when a server repeats a page token', async () => {
    mock.use(
      configured(),
      http.get(`${WS}/namespaces/:ns/tables`, () =>
        HttpResponse.json({ identifiers: [{ namespace: ['db'], name: 't' }], 'next-page-token': 'same' }),
      ),
    );
    const seen: string[] = [];
    const e = await catchErr(
      (async () => {
        for await (const id of catalog().iterateTables('db')) seen.push(id.name);
      })(),
    );
    expect(e?.kind).toBe('protocol');
    expect(seen).toEqual(['t', 't']);
  });
});

describe('Iceberg REST catalog: tables', () => {
  it('creates a table with schema, partition spec and sort order, and stages a create', async () => {
    mock.use(
      configured(),
      http.post(`${WS}/namespaces/:ns/tables`, async ({ request }) => {
        const body = (await request.json()) as { 'stage-create': boolean };
        const result = JSON.parse(loadResult(tableMetadataV2())) as Record<string, unknown>;
        if (body['stage-create']) delete result['metadata-location'];
        return HttpResponse.json(result);
      }),
    );
    const c = catalog({ accessDelegation: ['vended-credentials'] });
    const request = {
      name: 'orders',
      schema: ordersSchema,
      'partition-spec': ordersSpec,
      'write-order': ordersSortOrder,
      properties: { 'format-version': '2' },
    } as const;
    const created = await c.createTable('sales', request as never);
    expect(created['metadata-location']).toMatch(/00002-b\.metadata\.json$/);
    const staged = await c.stageCreateTable('sales', request as never);
    expect(staged['metadata-location']).toBeUndefined();
    await settle();
    const posts = mock.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => (r.body as { 'stage-create': boolean })['stage-create'])).toEqual([false, true]);
    expect(posts[0]?.headers.get('x-iceberg-access-delegation')).toBe('vended-credentials');
    expect((posts[0]?.body as { schema?: unknown } | undefined)?.schema).toEqual(ordersSchema);
  });

  it('sends spec-id 0 for a new partition spec without one (Java rejects it otherwise)', async () => {
    let sent: { 'partition-spec'?: { 'spec-id'?: number } } = {};
    mock.use(
      configured(),
      http.post(`${WS}/namespaces/:ns/tables`, async ({ request }) => {
        sent = (await request.json()) as typeof sent;
        return rawJson(loadResult(tableMetadataV2()));
      }),
    );
    await catalog().createTable('sales', {
      name: 'orders',
      schema: ordersSchema,
      'partition-spec': { fields: [{ name: 'ts_day', transform: 'day', 'source-id': 4 }] },
    });
    expect(sent['partition-spec']?.['spec-id']).toBe(0);
  });

  it('loads a table keeping 64-bit snapshot ids exact, with snapshots=refs', async () => {
    mock.use(
      configured(),
      http.get(`${WS}/namespaces/:ns/tables/:t`, ({ request }) => {
        expect(new URL(request.url).searchParams.get('snapshots')).toBe('refs');
        return rawJson(loadResult(tableMetadataV2(), { 's3.endpoint': 'http://127.0.0.1:7070' }));
      }),
    );
    const t = await catalog().loadTable({ namespace: ['sales'], name: 'orders' }, { snapshots: 'refs' });
    expect(t.metadata['current-snapshot-id']).toBe(SNAPSHOT_ID);
    expect(t.metadata.refs?.main?.['snapshot-id']).toBe(SNAPSHOT_ID);
    expect(t.metadata.snapshots?.[1]?.['parent-snapshot-id']).toBe(PARENT_SNAPSHOT_ID);
    expect(t.metadata['last-updated-ms']).toBe(1764000000000);
    expect(t.config).toEqual({ 's3.endpoint': 'http://127.0.0.1:7070' });
  });

  it('loads a format-v3 table (row lineage, defaults, encryption keys) and answers 304 when unchanged', async () => {
    mock.use(
      configured(),
      http.get(`${WS}/namespaces/:ns/tables/:t`, ({ request }) =>
        request.headers.get('if-none-match') === '"v1"'
          ? new HttpResponse(null, { status: 304 })
          : rawJson(loadResult(tableMetadataV3()), 200, { etag: '"v1"' }),
      ),
    );
    const c = catalog();
    const first = await c.loadTableIfChanged('sales.events', undefined);
    expect(first.changed).toBe(true);
    if (!first.changed) throw new Error('unreachable');
    expect(first.etag).toBe('"v1"');
    expect(first.result.metadata['next-row-id']).toBe(100);
    expect(first.result.metadata.snapshots?.[0]?.['added-rows']).toBe(100);
    expect(first.result.metadata['encryption-keys']?.[0]?.['key-id']).toBe('k1');
    expect(await c.loadTableIfChanged('sales.events', first.etag)).toEqual({ changed: false });
  });

  it('checks existence, registers, renames, drops with purge and loads credentials', async () => {
    mock.use(
      configured(),
      http.head(`${WS}/namespaces/:ns/tables/:t`, ({ params }) =>
        params.t === 'orders' ? noContent() : new HttpResponse(null, { status: 404 }),
      ),
      http.post(`${WS}/namespaces/:ns/register`, () => rawJson(loadResult(tableMetadataV2()))),
      http.post(`${WS}/tables/rename`, () => noContent()),
      http.delete(`${WS}/namespaces/:ns/tables/:t`, () => noContent()),
      http.get(`${WS}/namespaces/:ns/tables/:t/credentials`, () =>
        HttpResponse.json({
          'storage-credentials': [
            {
              prefix: 's3://warehouse/sales/orders',
              config: { 's3.access-key-id': 'AK', 's3.secret-access-key': 'SK' },
            },
          ],
        }),
      ),
    );
    const c = catalog();
    expect(await c.tableExists('sales.orders')).toBe(true);
    expect(await c.tableExists('sales.missing')).toBe(false);
    const reg = await c.registerTable(
      'sales.orders_copy',
      's3://warehouse/sales/orders/metadata/00002-b.metadata.json',
      {
        overwrite: true,
      },
    );
    expect(reg.metadata['format-version']).toBe(2);
    await c.renameTable('sales.orders_copy', { namespace: 'archive', name: 'orders_2026' });
    await c.dropTable('archive.orders_2026', { purge: true });
    const creds = await c.loadCredentials('sales.orders', { planId: 'plan-1' });
    expect(creds['storage-credentials'][0]?.prefix).toBe('s3://warehouse/sales/orders');
    await settle();
    const sent = mock.requests.filter((r) => r.path !== '/v1/config');
    expect(sent[2]?.body).toEqual({
      name: 'orders_copy',
      'metadata-location': 's3://warehouse/sales/orders/metadata/00002-b.metadata.json',
      overwrite: true,
    });
    expect(sent[3]?.body).toEqual({
      source: { namespace: ['sales'], name: 'orders_copy' },
      destination: { namespace: ['archive'], name: 'orders_2026' },
    });
    expect(sent[4]?.path).toBe('/v1/ws/namespaces/archive/tables/orders_2026');
    expect(mock.requests.find((r) => r.method === 'DELETE')).toBeDefined();
  });

  it('sends purgeRequested=true on drop with purge', async () => {
    let query = '';
    mock.use(
      configured(),
      http.delete(`${WS}/namespaces/:ns/tables/:t`, ({ request }) => {
        query = new URL(request.url).search;
        return noContent();
      }),
    );
    await catalog().dropTable('sales.orders', { purge: true });
    expect(query).toBe('?purgeRequested=true');
  });

  it('commits every update kind with requirements, writing 64-bit ids exactly', async () => {
    let raw = '';
    mock.use(
      configured(),
      http.post(`${WS}/namespaces/:ns/tables/:t`, async ({ request }) => {
        raw = await request.text();
        return rawJson(commitResult(tableMetadataV2()));
      }),
    );
    const res = await catalog().commitTable('sales.orders', {
      requirements: [
        { type: 'assert-table-uuid', uuid: TABLE_UUID },
        { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': SNAPSHOT_ID as unknown as number },
        { type: 'assert-ref-snapshot-id', ref: 'new-branch', 'snapshot-id': null },
        { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 10 },
        { type: 'assert-current-schema-id', 'current-schema-id': 0 },
        { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': 1000 },
        { type: 'assert-default-spec-id', 'default-spec-id': 0 },
        { type: 'assert-default-sort-order-id', 'default-sort-order-id': 1 },
      ],
      updates: everyUpdate,
    });
    expect(res['metadata-location']).toMatch(/00003-c/);
    expect(res.metadata['current-snapshot-id']).toBe(SNAPSHOT_ID);
    expect(raw).toContain(`"snapshot-id":${SNAPSHOT_ID}`);
    expect(raw).toContain(`"snapshot-ids":[${PARENT_SNAPSHOT_ID}]`);
    const body = JSON.parse(raw) as { identifier: unknown; updates: { action: string }[] };
    expect(body.identifier).toEqual({ namespace: ['sales'], name: 'orders' });
    expect(new Set(body.updates.map((u) => u.action)).size).toBe(23);
  });

  it('commits a staged create with assert-create', async () => {
    mock.use(
      configured(),
      http.post(`${WS}/namespaces/:ns/tables/:t`, () => rawJson(commitResult(tableMetadataV2()))),
    );
    await catalog().commitTable('sales.orders', {
      requirements: [{ type: 'assert-create' }],
      updates: [
        { action: 'assign-uuid', uuid: TABLE_UUID },
        { action: 'upgrade-format-version', 'format-version': 2 },
        { action: 'add-schema', schema: ordersSchema },
        { action: 'set-current-schema', 'schema-id': -1 },
        { action: 'add-spec', spec: ordersSpec },
        { action: 'set-default-spec', 'spec-id': -1 },
        { action: 'add-sort-order', 'sort-order': ordersSortOrder },
        { action: 'set-default-sort-order', 'sort-order-id': -1 },
        { action: 'set-location', location: 's3://warehouse/sales/orders' },
        { action: 'set-properties', updates: { owner: 'lk' } },
      ] as TableUpdate[],
    });
    await settle();
    expect((mock.requests.at(-1)?.body as { requirements?: unknown } | undefined)?.requirements).toEqual([
      { type: 'assert-create' },
    ]);
  });

  it('commits a multi-table transaction', async () => {
    mock.use(
      configured(),
      http.post(`${WS}/transactions/commit`, () => noContent()),
    );
    await catalog().commitTransaction([
      {
        identifier: 'sales.orders',
        requirements: [
          { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': SNAPSHOT_ID as unknown as number },
        ],
        updates: [{ action: 'set-properties', updates: { a: '1' } }],
      },
      {
        identifier: { namespace: ['sales'], name: 'customers' },
        requirements: [],
        updates: [{ action: 'remove-properties', removals: ['b'] }],
      },
    ]);
    await settle();
    const body = mock.requests.at(-1)?.body as { 'table-changes': { identifier: unknown }[] };
    expect(body['table-changes'].map((c) => c.identifier)).toEqual([
      { namespace: ['sales'], name: 'orders' },
      { namespace: ['sales'], name: 'customers' },
    ]);
    const empty = await catchErr(catalog().commitTransaction([]));
    expect(empty?.kind).toBe('validation');
  });

  it('reports scan and commit metrics', async () => {
    mock.use(
      configured(),
      http.post(`${WS}/namespaces/:ns/tables/:t/metrics`, () => noContent()),
    );
    const c = catalog();
    await c.reportMetrics('sales.orders', {
      'report-type': 'scan-report',
      'table-name': 'lk.sales.orders',
      'snapshot-id': SNAPSHOT_ID as unknown as number,
      filter: { type: 'gt', term: 'amount', value: '10.00' },
      'schema-id': 0,
      'projected-field-ids': [1, 3],
      'projected-field-names': ['id', 'amount'],
      metrics: {
        'total-planning-duration': { 'time-unit': 'nanoseconds', count: 1, 'total-duration': 2644235116 },
        'result-data-files': { unit: 'count', value: 1 },
      },
    });
    await c.reportMetrics('sales.orders', {
      'report-type': 'commit-report',
      'table-name': 'lk.sales.orders',
      'snapshot-id': 42,
      'sequence-number': 3,
      operation: 'append',
      metrics: { 'added-records': { unit: 'count', value: 5 } },
    });
    await settle();
    expect(mock.requests.filter((r) => r.path.endsWith('/metrics'))).toHaveLength(2);
  });
});

describe('Iceberg REST catalog: scan planning and signing', () => {
  const dataFile = {
    content: 'data',
    'file-path': 's3://warehouse/sales/orders/data/ts_day=2026-11-24/00000.parquet',
    'file-format': 'parquet',
    'spec-id': 0,
    partition: [20416],
    'file-size-in-bytes': 1234,
    'record-count': 8,
    'column-sizes': { keys: [1, 3], values: [64, 80] },
    'lower-bounds': { keys: [1], values: [1] },
    'upper-bounds': { keys: [1], values: [8] },
  };

  it('plans, polls, fetches tasks and cancels', async () => {
    mock.use(
      configured(),
      http.post(`${WS}/namespaces/:ns/tables/:t/plan`, () =>
        HttpResponse.json({
          status: 'completed',
          'plan-id': 'plan-1',
          'plan-tasks': ['task-a'],
          'file-scan-tasks': [
            { 'data-file': dataFile, 'delete-file-references': [0], 'residual-filter': true },
          ],
          'delete-files': [
            {
              content: 'position-deletes',
              'file-path': 's3://warehouse/sales/orders/data/del-1.parquet',
              'file-format': 'parquet',
              'spec-id': 0,
              partition: [20416],
              'file-size-in-bytes': 300,
              'record-count': 2,
            },
          ],
        }),
      ),
      http.get(`${WS}/namespaces/:ns/tables/:t/plan/:plan`, () => HttpResponse.json({ status: 'submitted' })),
      http.post(`${WS}/namespaces/:ns/tables/:t/tasks`, () =>
        HttpResponse.json({ 'file-scan-tasks': [{ 'data-file': dataFile }] }),
      ),
      http.delete(`${WS}/namespaces/:ns/tables/:t/plan/:plan`, () => noContent()),
    );
    const c = catalog();
    const request: PlanTableScanRequest = {
      select: ['id', 'amount'],
      filter: {
        type: 'and',
        left: { type: 'gt-eq', term: 'ts', value: '2026-11-24T00:00:00.000000+00:00' },
        right: { type: 'not-null', term: { type: 'transform', transform: 'day', term: 'ts' } },
      },
      'case-sensitive': true,
    };
    const plan = await c.planTableScan('sales.orders', request);
    expect(plan.status).toBe('completed');
    const polled = await c.fetchPlanningResult('sales.orders', 'plan-1');
    expect(polled.status).toBe('submitted');
    const tasks = await c.fetchScanTasks('sales.orders', 'task-a');
    expect(tasks['file-scan-tasks']?.[0]?.['data-file']['record-count']).toBe(8);
    await c.cancelPlanning('sales.orders', 'plan-1');
    await settle();
    expect(mock.requests.at(-1)?.path).toBe('/v1/ws/namespaces/sales/tables/orders/plan/plan-1');
  });

  it('asks the catalog to sign a storage request', async () => {
    mock.use(
      configured(),
      http.post(`${WS}/namespaces/:ns/tables/:t/sign`, () =>
        HttpResponse.json({
          uri: 'https://bucket.s3.amazonaws.com/key',
          headers: { Authorization: ['AWS4-HMAC-SHA256 Credential=…'], 'x-amz-date': ['20261125T000000Z'] },
        }),
      ),
    );
    const signed = await catalog().signRequest('sales.orders', {
      region: 'us-east-1',
      uri: 'https://bucket.s3.amazonaws.com/key',
      method: 'GET',
      headers: { host: ['bucket.s3.amazonaws.com'] },
    });
    expect(signed.headers['x-amz-date']).toEqual(['20261125T000000Z']);
  });
});

describe('Iceberg REST catalog: views', () => {
  it('creates, lists, loads, replaces, checks, renames, registers and drops views', async () => {
    const loadView = () =>
      HttpResponse.json({
        'metadata-location': 's3://warehouse/sales/recent_orders/metadata/v1.json',
        metadata: viewMetadata,
      });
    mock.use(
      configured(),
      http.post(`${WS}/namespaces/:ns/views`, loadView),
      http.get(`${WS}/namespaces/:ns/views`, ({ request }) =>
        new URL(request.url).searchParams.get('pageToken') === ''
          ? HttpResponse.json({
              identifiers: [{ namespace: ['sales'], name: 'recent_orders' }],
              'next-page-token': 'n',
            })
          : HttpResponse.json({ identifiers: [{ namespace: ['sales'], name: 'big_orders' }] }),
      ),
      http.get(`${WS}/namespaces/:ns/views/:v`, loadView),
      http.post(`${WS}/namespaces/:ns/views/:v`, loadView),
      http.head(`${WS}/namespaces/:ns/views/:v`, ({ params }) =>
        params.v === 'recent_orders' ? noContent() : new HttpResponse(null, { status: 404 }),
      ),
      http.post(`${WS}/views/rename`, () => noContent()),
      http.post(`${WS}/namespaces/:ns/register-view`, loadView),
      http.delete(`${WS}/namespaces/:ns/views/:v`, () => noContent()),
    );
    const c = catalog();
    const version = viewMetadata.versions[0];
    const created = await c.createView('sales', {
      name: 'recent_orders',
      schema: viewMetadata.schemas[0],
      'view-version': version,
      properties: { comment: 'orders of the last day' },
    } as never);
    expect(created.metadata['view-uuid']).toBe(viewMetadata['view-uuid']);
    const names = (await collect(c.iterateViews('sales'))).map((v) => v.name);
    expect(names).toEqual(['recent_orders', 'big_orders']);
    const page = await c.listViews('sales', { pageSize: 10 });
    expect(page.nextPageToken).toBeUndefined();
    const loaded = await c.loadView('sales.recent_orders', { referencedBy: ['reports.daily'] });
    expect(loaded.metadata.versions[0]?.representations[0]?.dialect).toBe('spark');
    await c.replaceView('sales.recent_orders', {
      requirements: [{ type: 'assert-view-uuid', uuid: viewMetadata['view-uuid'] }],
      updates: [
        { action: 'add-view-version', 'view-version': { ...version, 'version-id': 2 } as never },
        { action: 'set-current-view-version', 'view-version-id': -1 },
        { action: 'set-properties', updates: { comment: 'v2' } },
      ],
    });
    expect(await c.viewExists('sales.recent_orders')).toBe(true);
    expect(await c.viewExists('sales.nope')).toBe(false);
    await c.renameView('sales.recent_orders', 'sales.latest_orders');
    await c.registerView('sales.copy', 's3://warehouse/sales/recent_orders/metadata/v1.json');
    await c.dropView('sales.latest_orders');
    await settle();
    const loadReq = mock.requests.find(
      (r) => r.method === 'GET' && r.path === '/v1/ws/namespaces/sales/views/recent_orders',
    );
    expect(loadReq).toBeDefined();
  });
});

describe('Iceberg REST catalog: errors', () => {
  type Case = {
    name: string;
    status: number;
    type: string;
    setup: () => ReturnType<typeof http.get>;
    call: (c: ReturnType<typeof catalog>) => Promise<unknown>;
    yes: (keyof IcebergError)[];
    no: (keyof IcebergError)[];
  };
  const cases: Case[] = [
    {
      name: 'loadNamespace 404',
      status: 404,
      type: 'NoSuchNamespaceException',
      setup: () => http.get(`${WS}/namespaces/:ns`, () => icebergError(404, 'NoSuchNamespaceException')),
      call: (c) => c.loadNamespace('nope'),
      yes: ['isNoSuchNamespace', 'isNotFound'],
      no: ['isNoSuchTable', 'isCommitFailed', 'isCommitStateUnknown'],
    },
    {
      name: 'loadTable 404',
      status: 404,
      type: 'NoSuchTableException',
      setup: () =>
        http.get(`${WS}/namespaces/:ns/tables/:t`, () => icebergError(404, 'NoSuchTableException')),
      call: (c) => c.loadTable('db.nope'),
      yes: ['isNoSuchTable', 'isNotFound'],
      no: ['isNoSuchNamespace', 'isNoSuchView'],
    },
    {
      name: 'loadView 404',
      status: 404,
      type: 'NoSuchViewException',
      setup: () => http.get(`${WS}/namespaces/:ns/views/:v`, () => icebergError(404, 'NoSuchViewException')),
      call: (c) => c.loadView('db.nope'),
      yes: ['isNoSuchView', 'isNotFound'],
      no: ['isNoSuchTable'],
    },
    {
      name: 'fetchPlanningResult 404',
      status: 404,
      type: 'NoSuchPlanIdException',
      setup: () =>
        http.get(`${WS}/namespaces/:ns/tables/:t/plan/:p`, () => icebergError(404, 'NoSuchPlanIdException')),
      call: (c) => c.fetchPlanningResult('db.t', 'gone'),
      yes: ['isNoSuchPlan', 'isNotFound'],
      no: ['isNoSuchTable'],
    },
    {
      name: 'fetchScanTasks 404',
      status: 404,
      type: 'NoSuchPlanTaskException',
      setup: () =>
        http.post(`${WS}/namespaces/:ns/tables/:t/tasks`, () => icebergError(404, 'NoSuchPlanTaskException')),
      call: (c) => c.fetchScanTasks('db.t', 'task-x'),
      yes: ['isNoSuchPlan', 'isNotFound'],
      no: ['isNoSuchTable'],
    },
    {
      name: 'loadTable 404 (not an Iceberg table)',
      status: 404,
      type: 'NoSuchIcebergTableException',
      setup: () =>
        http.get(`${WS}/namespaces/:ns/tables/:t`, () => icebergError(404, 'NoSuchIcebergTableException')),
      call: (c) => c.loadTable('db.hive_table'),
      yes: ['isNoSuchTable', 'isNotFound'],
      no: ['isNoSuchView'],
    },
    {
      name: 'registerTable 400',
      status: 400,
      type: 'ValidationException',
      setup: () => http.post(`${WS}/namespaces/:ns/register`, () => icebergError(400, 'ValidationException')),
      call: (c) => c.registerTable('db.t', 'not-a-metadata-file'),
      yes: ['isBadRequest'],
      no: ['isAlreadyExists', 'isCommitFailed'],
    },
    {
      name: 'cancelPlanning 503 (retries exhausted)',
      status: 503,
      type: 'SlowDownException',
      setup: () =>
        http.delete(`${WS}/namespaces/:ns/tables/:t/plan/:p`, () => icebergError(503, 'SlowDownException')),
      call: (c) => c.cancelPlanning('db.t', 'plan-1'),
      yes: ['isServiceUnavailable', 'isServerError'],
      no: ['isCommitStateUnknown', 'isNotFound'],
    },
    {
      name: 'createNamespace 409',
      status: 409,
      type: 'AlreadyExistsException',
      setup: () => http.post(`${WS}/namespaces`, () => icebergError(409, 'AlreadyExistsException')),
      call: (c) => c.createNamespace('db'),
      yes: ['isAlreadyExists', 'isConflict'],
      no: ['isCommitFailed', 'isNamespaceNotEmpty'],
    },
    {
      name: 'dropNamespace 409',
      status: 409,
      type: 'NamespaceNotEmptyException',
      setup: () => http.delete(`${WS}/namespaces/:ns`, () => icebergError(409, 'NamespaceNotEmptyException')),
      call: (c) => c.dropNamespace('db'),
      yes: ['isNamespaceNotEmpty'],
      no: ['isAlreadyExists', 'isCommitFailed'],
    },
    {
      name: 'commitTable 409',
      status: 409,
      type: 'CommitFailedException',
      setup: () =>
        http.post(`${WS}/namespaces/:ns/tables/:t`, () => icebergError(409, 'CommitFailedException')),
      call: (c) => c.commitTable('db.t', { requirements: [], updates: [] }),
      yes: ['isCommitFailed', 'isConflict'],
      no: ['isCommitStateUnknown', 'isAlreadyExists'],
    },
    {
      name: 'commitTable 500',
      status: 500,
      type: 'CommitStateUnknownException',
      setup: () =>
        http.post(`${WS}/namespaces/:ns/tables/:t`, () => icebergError(500, 'CommitStateUnknownException')),
      call: (c) => c.commitTable('db.t', { requirements: [], updates: [] }),
      yes: ['isCommitStateUnknown', 'isServerError'],
      no: ['isCommitFailed'],
    },
    {
      name: 'commitTransaction 409',
      status: 409,
      type: 'CommitFailedException',
      setup: () => http.post(`${WS}/transactions/commit`, () => icebergError(409, 'CommitFailedException')),
      call: (c) => c.commitTransaction([{ identifier: 'db.t', requirements: [], updates: [] }]),
      yes: ['isCommitFailed'],
      no: ['isCommitStateUnknown'],
    },
    {
      name: 'replaceView 409',
      status: 409,
      type: 'CommitFailedException',
      setup: () =>
        http.post(`${WS}/namespaces/:ns/views/:v`, () => icebergError(409, 'CommitFailedException')),
      call: (c) => c.replaceView('db.v', { updates: [] }),
      yes: ['isCommitFailed'],
      no: ['isCommitStateUnknown'],
    },
    {
      name: 'listNamespaces 401',
      status: 401,
      type: 'NotAuthorizedException',
      setup: () => http.get(`${WS}/namespaces`, () => icebergError(401, 'NotAuthorizedException')),
      call: (c) => c.listNamespaces(),
      yes: ['isUnauthorized'],
      no: ['isNotFound'],
    },
    {
      name: 'loadTable 403',
      status: 403,
      type: 'ForbiddenException',
      setup: () => http.get(`${WS}/namespaces/:ns/tables/:t`, () => icebergError(403, 'ForbiddenException')),
      call: (c) => c.loadTable('db.t'),
      yes: ['isUnauthorized'],
      no: ['isNoSuchTable'],
    },
    {
      name: 'listTables 419',
      status: 419,
      type: 'AuthenticationTimeoutException',
      setup: () =>
        http.get(`${WS}/namespaces/:ns/tables`, () => icebergError(419, 'AuthenticationTimeoutException')),
      call: (c) => c.listTables('db'),
      yes: ['isUnauthorized'],
      no: ['isBadRequest'],
    },
    {
      name: 'renameTable 406',
      status: 406,
      type: 'UnsupportedOperationException',
      setup: () => http.post(`${WS}/tables/rename`, () => icebergError(406, 'UnsupportedOperationException')),
      call: (c) => c.renameTable('db.a', 'db.b'),
      yes: ['isUnsupported'],
      no: ['isCommitFailed'],
    },
    {
      name: 'createTable 400',
      status: 400,
      type: 'BadRequestException',
      setup: () => http.post(`${WS}/namespaces/:ns/tables`, () => icebergError(400, 'BadRequestException')),
      call: (c) => c.createTable('db', { name: 't', schema: { type: 'struct', fields: [] } }),
      yes: ['isBadRequest'],
      no: ['isAlreadyExists'],
    },
    {
      name: 'updateProperties 422',
      status: 422,
      type: 'UnprocessableEntityException',
      setup: () =>
        http.post(`${WS}/namespaces/:ns/properties`, () => icebergError(422, 'UnprocessableEntityException')),
      call: (c) => c.updateNamespaceProperties('db', { updates: { a: '1' }, removals: ['a'] }),
      yes: ['isBadRequest'],
      no: ['isNotFound'],
    },
    {
      name: 'dropTable 500',
      status: 500,
      type: 'ServiceFailureException',
      setup: () =>
        http.delete(`${WS}/namespaces/:ns/tables/:t`, () => icebergError(500, 'ServiceFailureException')),
      call: (c) => c.dropTable('db.t'),
      yes: ['isServerError'],
      no: ['isCommitStateUnknown', 'isCommitFailed'],
    },
    {
      name: 'getConfig 503 (retries exhausted)',
      status: 503,
      type: 'ServiceUnavailableException',
      setup: () => http.get(`${BASE}/v1/config`, () => icebergError(503, 'ServiceUnavailableException')),
      call: (c) => c.listNamespaces(),
      yes: ['isServiceUnavailable', 'isServerError'],
      no: ['isCommitStateUnknown'],
    },
  ];

  for (const k of cases) {
    it(`maps ${k.name} ${k.type} to IcebergError`, async () => {
      mock.use(k.setup(), configured());
      const e = await catchErr(
        k.call(catalog({ retry: { maxAttempts: 2, baseDelayMs: 1, random: () => 0 } })),
      );
      if (!(e instanceof IcebergError)) throw new Error(`expected an IcebergError, got ${String(e)}`);
      expect(e.status).toBe(k.status);
      expect(e?.code).toBe(k.type);
      expect(e?.type).toBe(k.type);
      expect(e?.message).toContain(k.type);
      for (const p of k.yes) expect((e[p] as () => boolean).call(e), `${String(p)}`).toBe(true);
      for (const p of k.no) expect((e[p] as () => boolean).call(e), `${String(p)}`).toBe(false);
    });
  }

  it('never repeats a commit after 500, 502 or 504: the state is unknown, not failed', async () => {
    for (const status of [500, 502, 504]) {
      let calls = 0;
      mock.use(
        configured(),
        http.post(`${WS}/namespaces/:ns/tables/:t`, () => {
          calls++;
          return status === 504
            ? new HttpResponse('gateway timeout', { status, headers: { 'content-type': 'text/plain' } })
            : HttpResponse.json(
                { error: { message: 'upstream said no', type: 'InternalServerError', code: status } },
                { status },
              );
        }),
      );
      const e = await catchErr(catalog().commitTable('db.t', { requirements: [], updates: [] }));
      expect(calls, `HTTP ${status}`).toBe(1);
      expect(e?.attempts).toBe(1);
      expect(e?.commit).toBe(true);
      expect(e?.isCommitStateUnknown(), `HTTP ${status}`).toBe(true);
      expect(e?.isCommitFailed(), `HTTP ${status}`).toBe(false);
    }
  });

  it('treats a commit whose answer never arrived as state unknown', async () => {
    mock.use(
      configured(),
      http.post(`${WS}/namespaces/:ns/tables/:t`, async () => {
        await new Promise((r) => setTimeout(r, 300));
        return rawJson(commitResult(tableMetadataV2()));
      }),
    );
    const e = await catchErr(
      catalog({ timeoutMs: 30 }).commitTable('db.t', { requirements: [], updates: [] }),
    );
    expect(e?.kind).toBe('timeout');
    expect(e?.isCommitStateUnknown()).toBe(true);
  });

  it('sends one Idempotency-Key per mutation when the server supports them, and reuses it on retry', async () => {
    const keys: string[] = [];
    mock.use(
      configured({ prefix: 'ws' }, { 'idempotency-key-lifetime': 'PT30M' }),
      http.post(`${WS}/namespaces`, ({ request }) => {
        keys.push(request.headers.get('idempotency-key') ?? '');
        return keys.length === 1
          ? icebergError(503, 'SlowDownException')
          : HttpResponse.json({ namespace: ['db'], properties: {} });
      }),
    );
    const c = catalog();
    await c.createNamespace('db');
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(keys[1]).toBe(keys[0]);
    expect((await c.config()).idempotencyKeys).toBe(true);
  });
});
