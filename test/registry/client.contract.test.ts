import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  createSchemaRegistryClient,
  type SchemaRegistryClientOptions,
  SchemaRegistryError,
} from '../../src/registry/index.js';
import { contractServer } from '../support/contract.js';

const BASE = 'http://registry.test/apis/ccompat/v7';
const mock = contractServer('schema-registry', BASE, { requireFullCoverage: true });
const MEDIA = 'application/vnd.schemaregistry.v1+json';

const client = (o: Partial<SchemaRegistryClientOptions> = {}) =>
  createSchemaRegistryClient({ baseUrl: BASE, retry: { random: () => 0, baseDelayMs: 1 }, ...o });
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  HttpResponse.json(body as object, { status, headers: { 'content-type': MEDIA, ...headers } });
const fail = (status: number, code: number, message: string) => json({ error_code: code, message }, status);
const url = (p: string) => `${BASE}${p}`;

const AVRO_V1 = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [{ name: 'id', type: 'long' }],
});
const PROTO = 'syntax = "proto3";\npackage shop;\nmessage Order { int64 id = 1; }\n';

describe('SchemaRegistryClient: schemas', () => {
  it('reads root, types, the schema list and a schema by id with its options', async () => {
    mock.use(
      http.get(url('/'), () => json({})),
      http.get(url('/schemas/types'), () => json(['JSON', 'PROTOBUF', 'AVRO'])),
      http.get(url('/schemas'), ({ request }) => {
        const q = new URL(request.url).searchParams;
        expect(q.get('subjectPrefix')).toBe('orders');
        expect(q.get('latestOnly')).toBe('true');
        expect(q.get('offset')).toBe('10');
        expect(q.get('limit')).toBe('5');
        return json([
          { subject: 'orders-value', version: 1, id: 3, schema: AVRO_V1 },
          { subject: 'orders-key', version: 2, id: 4, schemaType: 'PROTOBUF', schema: PROTO },
        ]);
      }),
      http.get(url('/schemas/ids/:id'), ({ params, request }) => {
        const q = new URL(request.url).searchParams;
        expect(params.id).toBe('3');
        if (q.get('fetchMaxId') === 'true') {
          expect(q.get('format')).toBe('resolved');
          return json({ schema: AVRO_V1, maxId: 42 });
        }
        return json({
          schema: AVRO_V1,
          references: [{ name: 'shop.Customer', subject: 'customer', version: 1 }],
          metadata: { properties: { owner: 'team-a' } },
          ruleSet: {
            domainRules: [{ name: 'checkId', kind: 'CONDITION', type: 'CEL', expr: 'message.id > 0' }],
          },
        });
      }),
    );
    const c = client();
    expect(await c.getRoot()).toEqual({});
    expect(await c.getSchemaTypes()).toEqual(['JSON', 'PROTOBUF', 'AVRO']);
    const list = await c.listSchemas({ subjectPrefix: 'orders', latestOnly: true, offset: 10, limit: 5 });
    expect(list.map((s) => [s.subject, s.id, s.schemaType])).toEqual([
      ['orders-value', 3, 'AVRO'],
      ['orders-key', 4, 'PROTOBUF'],
    ]);
    const s = await c.getSchemaById(3);
    expect(s).toMatchObject({
      id: 3,
      schema: AVRO_V1,
      schemaType: 'AVRO',
      references: [{ name: 'shop.Customer', subject: 'customer', version: 1 }],
      metadata: { properties: { owner: 'team-a' } },
    });
    expect(s.ruleSet?.domainRules?.[0]?.expr).toBe('message.id > 0');
    const withMax = await c.getSchemaById(3, { format: 'resolved', fetchMaxId: true });
    expect(withMax.maxId).toBe(42);
  });

  it('reports a root that is not a JSON object as a protocol error', async () => {
    // Apicurio's ccompat base URL serves its HTML console at `/`; the fetch is injected because the
    // answer is outside the contract on purpose.
    const c = client({
      fetch: async () =>
        new Response('<!DOCTYPE html><html></html>', { headers: { 'content-type': 'text/html' } }),
    });
    const e = (await c.getRoot().catch((x: unknown) => x)) as SchemaRegistryError;
    expect(e).toBeInstanceOf(SchemaRegistryError);
    expect(e.kind).toBe('protocol');
    expect(e.status).toBe(200);
    expect(e.message).toContain('text/html');
  });

  it('returns raw schema text for Avro (JSON) and Protobuf (plain text)', async () => {
    mock.use(
      http.get(url('/schemas/ids/:id/schema'), ({ params }) =>
        params.id === '3'
          ? json(JSON.parse(AVRO_V1))
          : new HttpResponse(PROTO, { headers: { 'content-type': 'text/plain' } }),
      ),
      http.get(url('/subjects/:subject/versions/:version/schema'), ({ params }) => {
        expect(params.version).toBe('latest');
        return new HttpResponse(PROTO, { headers: { 'content-type': 'text/plain' } });
      }),
    );
    const c = client();
    expect(JSON.parse(await c.getRawSchemaById(3))).toEqual(JSON.parse(AVRO_V1));
    expect(await c.getRawSchemaById(4, { format: 'ignore_extensions' })).toBe(PROTO);
    expect(await c.getRawSchemaByVersion('orders-key', 'latest')).toBe(PROTO);
  });

  it('lists subjects and subject-versions of an id', async () => {
    mock.use(
      http.get(url('/schemas/ids/:id/subjects'), ({ request }) => {
        expect(new URL(request.url).searchParams.get('deleted')).toBe('true');
        return json(['orders-value', 'orders-archive']);
      }),
      http.get(url('/schemas/ids/:id/versions'), () =>
        json([
          { subject: 'orders-value', version: 1 },
          { subject: 'orders-archive', version: 3 },
        ]),
      ),
    );
    const c = client();
    expect(await c.getSubjectsBySchemaId(3, { deleted: true })).toEqual(['orders-value', 'orders-archive']);
    expect(await c.getVersionsBySchemaId(3)).toEqual([
      { subject: 'orders-value', version: 1 },
      { subject: 'orders-archive', version: 3 },
    ]);
  });
});

describe('SchemaRegistryClient: subjects', () => {
  it('lists subjects and versions with the deleted filters', async () => {
    mock.use(
      http.get(url('/subjects'), ({ request }) => {
        const q = new URL(request.url).searchParams;
        return json(q.get('deletedOnly') === 'true' ? ['gone'] : ['orders-value', 'gone']);
      }),
      http.get(url('/subjects/:subject/versions'), ({ request }) => {
        expect(new URL(request.url).searchParams.get('deleted')).toBe('true');
        return json([1, 2, 3]);
      }),
    );
    const c = client();
    expect(await c.listSubjects({ deleted: true, subjectPrefix: '' })).toEqual(['orders-value', 'gone']);
    expect(await c.listSubjects({ deletedOnly: true })).toEqual(['gone']);
    expect(await c.listVersions('orders-value', { deleted: true })).toEqual([1, 2, 3]);
  });

  it('registers with normalize, schema type and references in the registry media type', async () => {
    mock.use(
      http.post(url('/subjects/:subject/versions'), async ({ request }) => {
        expect(new URL(request.url).searchParams.get('normalize')).toBe('true');
        expect(request.headers.get('content-type')).toBe(MEDIA);
        expect(request.headers.get('accept')).toContain(MEDIA);
        const body = (await request.json()) as Record<string, unknown>;
        expect(body).toEqual({
          schema: PROTO,
          schemaType: 'PROTOBUF',
          references: [{ name: 'shop/customer.proto', subject: 'customer-value', version: 2 }],
        });
        return json({ id: 11 });
      }),
    );
    const id = await client().registerSchema(
      'orders-value',
      {
        schema: PROTO,
        schemaType: 'PROTOBUF',
        references: [{ name: 'shop/customer.proto', subject: 'customer-value', version: 2 }],
      },
      { normalize: true },
    );
    expect(id).toEqual({ id: 11 });
  });

  it('omits schemaType for Avro (absent means AVRO) and looks a schema up', async () => {
    mock.use(
      http.post(url('/subjects/:subject'), async ({ request }) => {
        const body = (await request.json()) as Record<string, unknown>;
        expect(body).toEqual({ schema: AVRO_V1 });
        expect(new URL(request.url).searchParams.get('deleted')).toBe('true');
        return json({ subject: 'orders-value', id: 3, version: 1, schema: AVRO_V1 });
      }),
    );
    const found = await client().lookupSchema(
      'orders-value',
      { schema: AVRO_V1, schemaType: 'AVRO' },
      { deleted: true },
    );
    expect(found).toEqual({
      id: 3,
      version: 1,
      subject: 'orders-value',
      schema: AVRO_V1,
      schemaType: 'AVRO',
      references: [],
    });
  });

  it('reads versions (number and latest) and the schemas referencing one', async () => {
    mock.use(
      http.get(url('/subjects/:subject/versions/:version'), ({ params }) =>
        json({
          subject: 'customer-value',
          version: params.version === 'latest' ? 2 : Number(params.version),
          id: params.version === 'latest' ? 8 : 7,
          schema: AVRO_V1,
        }),
      ),
      http.get(url('/subjects/:subject/versions/:version/referencedby'), () => json([11, 12])),
    );
    const c = client();
    expect(await c.getSchemaVersion('customer-value', 1)).toMatchObject({ id: 7, version: 1 });
    expect(await c.getLatestSchema('customer-value')).toMatchObject({ id: 8, version: 2 });
    expect(await c.getReferencedBy('customer-value', 1)).toEqual([11, 12]);
  });

  it('soft-deletes, hard-deletes, and does both with softFirst', async () => {
    const calls: string[] = [];
    mock.use(
      http.delete(url('/subjects/:subject'), ({ request }) => {
        const permanent = new URL(request.url).searchParams.get('permanent') === 'true';
        calls.push(permanent ? 'hard' : 'soft');
        return json([1, 2]);
      }),
      http.delete(url('/subjects/:subject/versions/:version'), ({ request, params }) => {
        const permanent = new URL(request.url).searchParams.get('permanent') === 'true';
        calls.push(permanent ? `hard v${params.version}` : `soft v${params.version}`);
        return json(Number(params.version));
      }),
    );
    const c = client();
    expect(await c.deleteSubject('orders-value')).toEqual([1, 2]);
    expect(await c.deleteSubject('orders-value', { permanent: true, softFirst: true })).toEqual([1, 2]);
    expect(await c.deleteSchemaVersion('orders-value', 2, { permanent: true, softFirst: true })).toBe(2);
    expect(calls).toEqual(['soft', 'soft', 'hard', 'soft v2', 'hard v2']);
  });

  it('softFirst tolerates an already soft-deleted subject and version', async () => {
    const calls: string[] = [];
    mock.use(
      http.delete(url('/subjects/:subject'), ({ request }) => {
        const permanent = new URL(request.url).searchParams.get('permanent') === 'true';
        calls.push(permanent ? 'hard' : 'soft');
        return permanent ? json([1]) : fail(404, 40404, 'Subject orders-value was soft deleted');
      }),
      http.delete(url('/subjects/:subject/versions/:version'), ({ request }) => {
        const permanent = new URL(request.url).searchParams.get('permanent') === 'true';
        calls.push(permanent ? 'hard v1' : 'soft v1');
        return permanent ? json(1) : fail(404, 40406, 'Version 1 was soft deleted');
      }),
    );
    const c = client();
    expect(await c.deleteSubject('orders-value', { permanent: true, softFirst: true })).toEqual([1]);
    expect(await c.deleteSchemaVersion('orders-value', 1, { permanent: true, softFirst: true })).toBe(1);
    expect(calls).toEqual(['soft', 'hard', 'soft v1', 'hard v1']);
  });
});

describe('SchemaRegistryClient: compatibility, config, mode, contexts', () => {
  it('checks compatibility against one version and against the subject, verbose', async () => {
    mock.use(
      http.post(url('/compatibility/subjects/:subject/versions/:version'), ({ request, params }) => {
        expect(params.version).toBe('latest');
        expect(new URL(request.url).searchParams.get('verbose')).toBe('true');
        return json({
          is_compatible: false,
          messages: ["READER_FIELD_MISSING_DEFAULT_VALUE at '/fields/1', field 'note'"],
        });
      }),
      http.post(url('/compatibility/subjects/:subject/versions'), () => json({ is_compatible: true })),
    );
    const c = client();
    const bad = await c.checkCompatibility(
      'orders-value',
      { schema: AVRO_V1 },
      { version: 'latest', verbose: true },
    );
    expect(bad).toEqual({
      isCompatible: false,
      messages: ["READER_FIELD_MISSING_DEFAULT_VALUE at '/fields/1', field 'note'"],
    });
    expect(await c.checkCompatibility('orders-value', { schema: AVRO_V1 })).toEqual({
      isCompatible: true,
      messages: [],
    });
  });

  it('reads, changes and deletes global and subject config', async () => {
    mock.use(
      http.get(url('/config'), () => json({ compatibilityLevel: 'BACKWARD' })),
      http.put(url('/config'), async ({ request }) => json(await request.json())),
      http.delete(url('/config'), () => json({ compatibilityLevel: 'FULL' })),
      http.get(url('/config/:subject'), ({ request }) =>
        new URL(request.url).searchParams.get('defaultToGlobal') === 'true'
          ? json({ compatibilityLevel: 'BACKWARD' })
          : fail(404, 40408, 'Subject orders-value does not have subject-level compatibility configured'),
      ),
      http.put(url('/config/:subject'), async ({ request }) => json(await request.json())),
      http.delete(url('/config/:subject'), () => json({ compatibilityLevel: 'FULL_TRANSITIVE' })),
    );
    const c = client();
    expect(await c.getConfig()).toEqual({ compatibilityLevel: 'BACKWARD' });
    expect(await c.setCompatibilityLevel('FULL')).toBe('FULL');
    expect(await c.updateConfig({ compatibility: 'NONE', normalize: true })).toEqual({
      compatibility: 'NONE',
      normalize: true,
    });
    expect(await c.deleteConfig()).toEqual({ compatibilityLevel: 'FULL' });
    const e = (await c
      .getConfig({ subject: 'orders-value' })
      .catch((x: unknown) => x)) as SchemaRegistryError;
    expect(e.isSubjectCompatibilityNotConfigured()).toBe(true);
    expect(await c.getCompatibilityLevel({ subject: 'orders-value' })).toBe('BACKWARD');
    expect(await c.setCompatibilityLevel('FULL_TRANSITIVE', { subject: 'orders-value' })).toBe(
      'FULL_TRANSITIVE',
    );
    expect(await c.deleteConfig({ subject: 'orders-value' })).toEqual({
      compatibilityLevel: 'FULL_TRANSITIVE',
    });
  });

  it('reads, changes and deletes global and subject mode, with force', async () => {
    mock.use(
      http.get(url('/mode'), () => json({ mode: 'READWRITE' })),
      http.put(url('/mode'), async ({ request }) => {
        expect(new URL(request.url).searchParams.get('force')).toBe('true');
        return json(await request.json());
      }),
      http.delete(url('/mode'), () => json({ mode: 'IMPORT' })),
      http.get(url('/mode/:subject'), ({ request }) =>
        new URL(request.url).searchParams.get('defaultToGlobal') === 'true'
          ? json({ mode: 'READWRITE' })
          : fail(404, 40409, 'Subject orders-value does not have subject-level mode configured'),
      ),
      http.put(url('/mode/:subject'), async ({ request }) => json(await request.json())),
      http.delete(url('/mode/:subject'), () => json({ mode: 'READONLY' })),
    );
    const c = client();
    expect(await c.getMode()).toBe('READWRITE');
    expect(await c.setMode('IMPORT', { force: true })).toBe('IMPORT');
    expect(await c.deleteMode()).toBe('IMPORT');
    const e = (await c.getMode({ subject: 'orders-value' }).catch((x: unknown) => x)) as SchemaRegistryError;
    expect(e.isSubjectModeNotConfigured()).toBe(true);
    expect(await c.getMode({ subject: 'orders-value', defaultToGlobal: true })).toBe('READWRITE');
    expect(await c.setMode('READONLY', { subject: 'orders-value' })).toBe('READONLY');
    expect(await c.deleteMode({ subject: 'orders-value' })).toBe('READONLY');
  });

  it('lists contexts', async () => {
    mock.use(http.get(url('/contexts'), () => json(['.', '.staging'])));
    expect(await client().listContexts()).toEqual(['.', '.staging']);
  });
});

describe('SchemaRegistryClient: subject names', () => {
  it('URL-encodes context-qualified subjects and other reserved characters', async () => {
    mock.use(
      http.post(url('/subjects/:subject/versions'), ({ params }) => {
        expect(params.subject).toBe(':.staging:orders-value');
        return json({ id: 5 });
      }),
      http.get(url('/subjects/:subject/versions/:version'), ({ params }) =>
        json({ subject: params.subject, version: 1, id: 6, schema: AVRO_V1 }),
      ),
      http.get(url('/config/:subject'), () => json({ compatibilityLevel: 'NONE' })),
    );
    const c = client();
    await c.registerSchema(':.staging:orders-value', { schema: AVRO_V1 });
    expect(mock.requests[0]?.path).toBe('/subjects/%3A.staging%3Aorders-value/versions');
    const v = await c.getSchemaVersion('team/orders value?x', 1);
    expect(v.subject).toBe('team/orders value?x');
    expect(mock.requests[1]?.path).toBe('/subjects/team%2Forders%20value%3Fx/versions/1');
    await c.getConfig({ subject: ':.staging:' });
    expect(mock.requests[2]?.path).toBe('/config/%3A.staging%3A');
  });

  it('rejects bad input before sending anything', async () => {
    const c = client();
    const cases: Promise<unknown>[] = [
      c.registerSchema('', { schema: AVRO_V1 }),
      c.registerSchema('orders\nvalue', { schema: AVRO_V1 }),
      c.registerSchema('orders-value', { schema: '' }),
      c.getSchemaById(-1),
      c.getSchemaById(1.5),
      c.getSchemaVersion('orders-value', 0),
      c.deleteSubject('orders-value', { softFirst: true }),
    ];
    for (const p of cases) {
      const e = (await p.catch((x: unknown) => x)) as SchemaRegistryError;
      expect(e).toBeInstanceOf(SchemaRegistryError);
      expect(e.kind).toBe('validation');
      expect(e.isBadRequest()).toBe(true);
    }
    expect(mock.requests).toEqual([]);
  });
});

describe('SchemaRegistryClient: errors', () => {
  type Pred = keyof SchemaRegistryError & `is${string}`;
  const table: [string, number, number, Pred][] = [
    ['subject not found', 404, 40401, 'isSubjectNotFound'],
    ['version not found', 404, 40402, 'isVersionNotFound'],
    ['schema not found', 404, 40403, 'isSchemaNotFound'],
    ['subject soft-deleted', 404, 40404, 'isSubjectSoftDeleted'],
    ['subject not soft-deleted', 404, 40405, 'isSubjectNotSoftDeleted'],
    ['schema version soft-deleted', 404, 40406, 'isSchemaVersionSoftDeleted'],
    ['schema version not soft-deleted', 404, 40407, 'isSchemaVersionNotSoftDeleted'],
    ['subject compatibility not configured', 404, 40408, 'isSubjectCompatibilityNotConfigured'],
    ['subject mode not configured', 404, 40409, 'isSubjectModeNotConfigured'],
    ['incompatible schema', 409, 409, 'isIncompatible'],
    ['invalid schema', 422, 42201, 'isInvalidSchema'],
    ['invalid version', 422, 42202, 'isInvalidVersion'],
    ['invalid compatibility level', 422, 42203, 'isInvalidCompatibilityLevel'],
    ['invalid mode', 422, 42204, 'isInvalidMode'],
    ['operation not permitted', 422, 42205, 'isOperationNotPermitted'],
    ['reference exists', 422, 42206, 'isReferenceExists'],
    ['store error', 500, 50001, 'isStoreError'],
    ['operation timeout', 500, 50002, 'isOperationTimeout'],
    ['forwarding failed', 500, 50003, 'isRequestForwardingFailed'],
  ];
  const all = table.map((t) => t[3]);

  it.each(table)(
    'maps %s (HTTP %i, code %i) to %s and no other predicate',
    async (what, status, code, pred) => {
      mock.use(
        http.post(url('/subjects/:subject/versions'), () => fail(status, code, `server says: ${what}`)),
      );
      const e = (await client({ retry: false })
        .registerSchema('orders-value', { schema: AVRO_V1 })
        .catch((x: unknown) => x)) as SchemaRegistryError;
      expect(e).toBeInstanceOf(SchemaRegistryError);
      expect(e.status).toBe(status);
      expect(e.code).toBe(code);
      expect(e.service).toBe('registry');
      expect(e.message).toContain(`server says: ${what}`);
      expect(e.message).toContain(String(code));
      const truthy = all.filter((p) => (e[p] as () => boolean).call(e));
      expect(truthy).toEqual([pred]);
    },
  );

  it('does not take an HTTP 409 with a 404xx code for an incompatible schema', async () => {
    // Apicurio answers a permanent delete of a subject that was not soft-deleted with HTTP 409 and
    // code 40405; that is a state error, not a compatibility verdict.
    mock.use(
      http.delete(url('/subjects/:subject'), () =>
        fail(409, 40405, 'Subject orders-value must be soft-deleted first'),
      ),
    );
    const e = (await client()
      .deleteSubject('orders-value', { permanent: true })
      .catch((x: unknown) => x)) as SchemaRegistryError;
    expect(e.isSubjectNotSoftDeleted()).toBe(true);
    expect(e.isIncompatible()).toBe(false);
  });

  it('sends basic auth and never leaks the password into errors', async () => {
    mock.use(http.get(url('/subjects'), () => fail(401, 40101, 'bad credentials for user:pa55word-xyz')));
    const e = (await client({ auth: { type: 'basic', username: 'user', password: 'pa55word-xyz' } })
      .listSubjects()
      .catch((x: unknown) => x)) as SchemaRegistryError;
    expect(e.isUnauthorized()).toBe(true);
    expect(e.message).not.toContain('pa55word-xyz');
    expect(mock.requests[0]?.headers.get('authorization')).toBe(
      `Basic ${Buffer.from('user:pa55word-xyz').toString('base64')}`,
    );
  });
});

describe('SchemaRegistryClient: caches', () => {
  it('sends one request for concurrent getSchemaById of the same id, then serves from cache', async () => {
    let calls = 0;
    mock.use(
      http.get(url('/schemas/ids/:id'), async ({ params }) => {
        calls++;
        await new Promise((r) => setTimeout(r, 20));
        return json({ schema: `{"type":"string","doc":"${params.id}"}` });
      }),
    );
    const c = client();
    const got = await Promise.all(Array.from({ length: 10 }, () => c.getSchemaById(7)));
    expect(calls).toBe(1);
    expect(new Set(got.map((s) => s.schema)).size).toBe(1);
    await c.getSchemaById(7);
    expect(calls).toBe(1);
    await Promise.all([c.getSchemaById(8), c.getSchemaById(8), c.getSchemaById(7, { subject: 'x' })]);
    expect(calls).toBe(3);
  });

  it('sends one registration per (subject, schema) and keeps subjects and types apart', async () => {
    let calls = 0;
    mock.use(
      http.post(url('/subjects/:subject/versions'), async ({ request }) => {
        calls++;
        await new Promise((r) => setTimeout(r, 10));
        const body = (await request.json()) as { schemaType?: string };
        return json({ id: body.schemaType === 'JSON' ? 2 : 1 });
      }),
    );
    const c = client();
    const ids = await Promise.all(
      Array.from({ length: 8 }, () => c.registerSchema('a', { schema: AVRO_V1 })),
    );
    expect(ids.every((r) => r.id === 1)).toBe(true);
    expect(calls).toBe(1);
    await c.registerSchema('a', { schema: AVRO_V1, schemaType: 'AVRO' });
    expect(calls).toBe(1);
    await c.registerSchema('b', { schema: AVRO_V1 });
    expect((await c.registerSchema('a', { schema: '{"type":"object"}', schemaType: 'JSON' })).id).toBe(2);
    await c.registerSchema('a', { schema: AVRO_V1 }, { normalize: true });
    expect(calls).toBe(4);
  });

  it('caches numeric versions, never latest, and fills the id cache from them', async () => {
    const seen: string[] = [];
    mock.use(
      http.get(url('/subjects/:subject/versions/:version'), ({ params }) => {
        seen.push(String(params.version));
        return json({ subject: 'a', version: 1, id: 9, schema: AVRO_V1 });
      }),
    );
    const c = client();
    await Promise.all([c.getSchemaVersion('a', 1), c.getSchemaVersion('a', 1)]);
    await c.getSchemaVersion('a', 1);
    await c.getLatestSchema('a');
    await c.getLatestSchema('a');
    expect(await c.getSchemaById(9, { subject: 'a' })).toMatchObject({ id: 9, schema: AVRO_V1 });
    expect(seen).toEqual(['1', 'latest', 'latest']);
  });

  it('does not cache failures, and forgets a subject after deleting it', async () => {
    let gets = 0;
    let posts = 0;
    mock.use(
      http.get(url('/schemas/ids/:id'), () => {
        gets++;
        return gets === 1 ? fail(404, 40403, 'Schema 5 not found') : json({ schema: AVRO_V1 });
      }),
      http.post(url('/subjects/:subject/versions'), () => {
        posts++;
        return json({ id: 5 });
      }),
      http.delete(url('/subjects/:subject'), () => json([1])),
    );
    const c = client();
    const e = (await c.getSchemaById(5).catch((x: unknown) => x)) as SchemaRegistryError;
    expect(e.isSchemaNotFound()).toBe(true);
    expect(e.isNotFound()).toBe(true);
    expect((await c.getSchemaById(5)).schema).toBe(AVRO_V1);
    expect(gets).toBe(2);
    await c.registerSchema('a', { schema: AVRO_V1 });
    await c.registerSchema('a', { schema: AVRO_V1 });
    expect(posts).toBe(1);
    await c.deleteSubject('a');
    await c.registerSchema('a', { schema: AVRO_V1 });
    expect(posts).toBe(2);
    c.clearCaches();
    await c.registerSchema('a', { schema: AVRO_V1 });
    expect(posts).toBe(3);
  });

  it('lets one waiter abort without failing the others sharing the request', async () => {
    let calls = 0;
    mock.use(
      http.get(url('/schemas/ids/:id'), async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 50));
        return json({ schema: AVRO_V1 });
      }),
    );
    const c = client();
    const ac = new AbortController();
    const first = c.getSchemaById(1, { signal: ac.signal }).catch((x: unknown) => x);
    const second = c.getSchemaById(1);
    setTimeout(() => ac.abort(), 10);
    const aborted = (await first) as SchemaRegistryError;
    expect(aborted).toBeInstanceOf(SchemaRegistryError);
    expect(aborted.isAborted()).toBe(true);
    expect((await second).schema).toBe(AVRO_V1);
    expect(calls).toBe(1);
  });

  it('evicts the least recently used entry at capacity', async () => {
    let calls = 0;
    mock.use(
      http.get(url('/schemas/ids/:id'), () => {
        calls++;
        return json({ schema: AVRO_V1 });
      }),
    );
    const c = client({ cacheCapacity: 2 });
    await c.getSchemaById(1);
    await c.getSchemaById(2);
    await c.getSchemaById(1);
    await c.getSchemaById(3); // evicts 2
    await c.getSchemaById(1);
    expect(calls).toBe(3);
    await c.getSchemaById(2);
    expect(calls).toBe(4);
  });
});

describe('SchemaRegistryClient: retries and timeouts', () => {
  it('retries a registration through a 503 storm (registration is idempotent)', async () => {
    let calls = 0;
    mock.use(
      http.post(url('/subjects/:subject/versions'), () => {
        calls++;
        return calls < 3 ? fail(503, 50301, 'unavailable') : json({ id: 4 });
      }),
    );
    expect(await client().registerSchema('a', { schema: AVRO_V1 })).toEqual({ id: 4 });
    expect(calls).toBe(3);
  });

  it('retries a read through 503 and honours Retry-After on 429', async () => {
    let calls = 0;
    const at: number[] = [];
    mock.use(
      http.get(url('/subjects'), () => {
        calls++;
        at.push(Date.now());
        if (calls === 1) return fail(503, 50301, 'unavailable');
        if (calls === 2)
          return json({ error_code: 42901, message: 'slow down' }, 429, { 'retry-after': '1' });
        return json(['a']);
      }),
    );
    expect(await client().listSubjects()).toEqual(['a']);
    expect(calls).toBe(3);
    expect((at[2] ?? 0) - (at[1] ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('gives up after the attempts and reports them', async () => {
    let calls = 0;
    mock.use(
      http.get(url('/schemas/ids/:id'), () => {
        calls++;
        return fail(503, 50301, 'unavailable');
      }),
    );
    const e = (await client({ retry: { maxAttempts: 3, baseDelayMs: 1, random: () => 0 } })
      .getSchemaById(1)
      .catch((x: unknown) => x)) as SchemaRegistryError;
    expect(e.status).toBe(503);
    expect(e.attempts).toBe(3);
    expect(e.retriable).toBe(true);
    expect(calls).toBe(3);
  });

  it('times out a slow registry with kind timeout', async () => {
    mock.use(
      http.get(url('/subjects/:subject/versions/:version'), async () => {
        await new Promise((r) => setTimeout(r, 300));
        return json({ subject: 'a', version: 1, id: 1, schema: AVRO_V1 });
      }),
    );
    const e = (await client({ timeoutMs: 30, retry: false })
      .getSchemaVersion('a', 1)
      .catch((x: unknown) => x)) as SchemaRegistryError;
    expect(e).toBeInstanceOf(SchemaRegistryError);
    expect(e.isTimeout()).toBe(true);
  });
});
