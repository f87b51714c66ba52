import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HttpLogEvent } from '../../src/http/index.js';
import {
  createSchemaRegistryClient,
  type SchemaRegistryClient,
  SchemaRegistryError,
} from '../../src/registry/index.js';
import { liveContract } from '../support/contract.js';
import { describeLive, env, uniqueName } from '../support/live.js';

// The stack's registry is Apicurio Registry 3.3.3 through its Confluent-compatible API
// (`/apis/ccompat/v7`). Where it behaves differently from Confluent Schema Registry, the test says
// so next to the assertion and asserts what Apicurio does (see STACK-NOTES.md, "Different").

const order = (fields: object[] = []) =>
  JSON.stringify({
    type: 'record',
    name: 'Order',
    namespace: 'lakekit.live',
    fields: [{ name: 'id', type: 'long' }, ...fields],
  });
const V1 = order();
// Adding an optional field with a default is BACKWARD compatible.
const V2 = order([{ name: 'note', type: ['null', 'string'], default: null }]);
// Changing a field's type from long to string is not: v2 data cannot be read with it.
const V3_INCOMPATIBLE = JSON.stringify({
  type: 'record',
  name: 'Order',
  namespace: 'lakekit.live',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'note', type: ['null', 'string'], default: null },
  ],
});

describeLive(['registry'], 'schema registry client against the live registry', () => {
  const baseUrl = () => env('LAKEKIT_REGISTRY_URL');
  let contract: ReturnType<typeof liveContract>;
  let c: SchemaRegistryClient;
  const created = new Set<string>();
  const subject = uniqueName('lakekit_reg') + '-value';

  const dropSubject = async (client: SchemaRegistryClient, s: string) => {
    try {
      await client.deleteSubject(s, { permanent: true, softFirst: true });
    } catch (e) {
      if (!(e instanceof SchemaRegistryError && e.isNotFound())) throw e;
    }
  };

  beforeAll(() => {
    contract = liveContract('schema-registry', baseUrl());
    c = createSchemaRegistryClient({ baseUrl: baseUrl(), middleware: [contract.middleware] });
  });

  afterAll(async () => {
    const cleaner = createSchemaRegistryClient({ baseUrl: baseUrl() });
    for (const s of created) await dropSubject(cleaner, s);
  });

  it('registers, fetches, looks up, evolves, rejects an incompatible change, and deletes', async () => {
    created.add(subject);
    expect(await c.getSchemaTypes()).toEqual(expect.arrayContaining(['AVRO', 'JSON', 'PROTOBUF']));
    expect(await c.setCompatibilityLevel('BACKWARD', { subject })).toBe('BACKWARD');
    expect(await c.getCompatibilityLevel({ subject })).toBe('BACKWARD');

    const { id: id1 } = await c.registerSchema(subject, { schema: V1 });
    expect(id1).toBeGreaterThanOrEqual(0);
    const byId = await c.getSchemaById(id1);
    expect(byId.schemaType).toBe('AVRO');
    expect(JSON.parse(byId.schema)).toEqual(JSON.parse(V1));
    expect(JSON.parse(await c.getRawSchemaById(id1))).toEqual(JSON.parse(V1));

    const found = await c.lookupSchema(subject, { schema: V1 });
    expect(found).toMatchObject({ id: id1, version: 1, subject });
    expect(await c.listVersions(subject)).toEqual([1]);
    expect(await c.getSubjectsBySchemaId(id1)).toContain(subject);
    expect(await c.getVersionsBySchemaId(id1)).toContainEqual({ subject, version: 1 });

    // Registration is idempotent on the server: a second client (empty cache) gets the same id.
    const fresh = createSchemaRegistryClient({ baseUrl: baseUrl(), middleware: [contract.middleware] });
    expect(await fresh.registerSchema(subject, { schema: V1 })).toEqual({ id: id1 });
    expect(await c.listVersions(subject)).toEqual([1]);

    const ok = await c.checkCompatibility(subject, { schema: V2 }, { version: 'latest', verbose: true });
    expect(ok.isCompatible).toBe(true);
    const { id: id2 } = await c.registerSchema(subject, { schema: V2 });
    expect(id2).not.toBe(id1);
    expect(await c.listVersions(subject)).toEqual([1, 2]);
    expect(await c.getLatestSchema(subject)).toMatchObject({ id: id2, version: 2, subject });
    expect(JSON.parse((await c.getSchemaVersion(subject, 1)).schema)).toEqual(JSON.parse(V1));
    expect(JSON.parse(await c.getRawSchemaByVersion(subject, 2))).toEqual(JSON.parse(V2));

    const bad = await c.checkCompatibility(subject, { schema: V3_INCOMPATIBLE }, { verbose: true });
    expect(bad.isCompatible).toBe(false);
    // Confluent fills `messages` with the reasons when verbose=true; Apicurio ignores `verbose`,
    // so the list may be empty here. It is always an array.
    expect(Array.isArray(bad.messages)).toBe(true);
    const one = await c.checkCompatibility(
      subject,
      { schema: V3_INCOMPATIBLE },
      { version: 2, verbose: true },
    );
    expect(one.isCompatible).toBe(false);

    const rejected = (await c
      .registerSchema(subject, { schema: V3_INCOMPATIBLE })
      .catch((x: unknown) => x)) as SchemaRegistryError;
    expect(rejected).toBeInstanceOf(SchemaRegistryError);
    expect(rejected.status).toBe(409);
    expect(rejected.isIncompatible()).toBe(true);
    const serverMessage = (rejected.body as { message?: string }).message ?? '';
    expect(serverMessage.length).toBeGreaterThan(0);
    expect(rejected.message).toContain(serverMessage);
    expect(await c.listVersions(subject)).toEqual([1, 2]);

    // Confluent answers a permanent delete of a subject that was not soft-deleted with HTTP 404 and
    // code 40405; Apicurio uses HTTP 409 with the same code. The predicate goes by the code.
    const notSoft = (await c
      .deleteSubject(subject, { permanent: true })
      .catch((x: unknown) => x)) as SchemaRegistryError;
    expect(notSoft.code).toBe(40405);
    expect(notSoft.isSubjectNotSoftDeleted()).toBe(true);
    expect(notSoft.status).toBe(409);
    expect(notSoft.isIncompatible()).toBe(false);

    expect((await c.deleteSubject(subject)).sort()).toEqual([1, 2]);
    expect(await c.listSubjects()).not.toContain(subject);
    expect(await c.listSubjects({ deleted: true })).toContain(subject);
    const gone = (await c.getLatestSchema(subject).catch((x: unknown) => x)) as SchemaRegistryError;
    expect(gone.isNotFound()).toBe(true);

    expect((await c.deleteSubject(subject, { permanent: true })).sort()).toEqual([1, 2]);
    expect(await c.listSubjects({ deleted: true })).not.toContain(subject);
    created.delete(subject);

    expect(contract.violations).toEqual([]);
  });

  it('resolves references and reports who references a version', async () => {
    const customer = `${uniqueName('lakekit_ref')}-customer`;
    const orders = `${uniqueName('lakekit_ref')}-orders`;
    created.add(orders).add(customer);
    const customerSchema = JSON.stringify({
      type: 'record',
      name: 'Customer',
      namespace: 'lakekit.live',
      fields: [{ name: 'name', type: 'string' }],
    });
    const { id: customerId } = await c.registerSchema(customer, { schema: customerSchema });
    const references = [{ name: 'lakekit.live.Customer', subject: customer, version: 1 }];
    const orderSchema = JSON.stringify({
      type: 'record',
      name: 'OrderWithCustomer',
      namespace: 'lakekit.live',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'customer', type: 'lakekit.live.Customer' },
      ],
    });
    const { id: orderId } = await c.registerSchema(orders, { schema: orderSchema, references });
    expect(orderId).not.toBe(customerId);
    const fetched = await c.getSchemaById(orderId);
    expect(fetched.references).toEqual(references);
    expect(await c.getReferencedBy(customer, 1)).toContain(orderId);
    expect((await c.lookupSchema(orders, { schema: orderSchema, references })).id).toBe(orderId);

    // A referenced version cannot go (42206), soft delete included.
    const referenced = (await c
      .deleteSchemaVersion(customer, 1)
      .catch((x: unknown) => x)) as SchemaRegistryError;
    expect([referenced.status, referenced.code, referenced.isReferenceExists()]).toEqual([422, 42206, true]);

    await dropSubject(c, orders);
    created.delete(orders);
    await dropSubject(c, customer);
    created.delete(customer);
    expect(contract.violations).toEqual([]);
  });

  it('deletes single versions: soft, permanent only after soft, and both with softFirst', async () => {
    const s = `${uniqueName('lakekit_ver')}-value`;
    created.add(s);
    await c.registerSchema(s, { schema: V1 });
    const { id: id2 } = await c.registerSchema(s, { schema: V2 });
    const err = async (p: Promise<unknown>) => (await p.catch((x: unknown) => x)) as SchemaRegistryError;

    // Confluent: HTTP 404 with 40407 / 40406; Apicurio: HTTP 409 with the same codes.
    const notSoft = await err(c.deleteSchemaVersion(s, 2, { permanent: true }));
    expect([notSoft.code, notSoft.isSchemaVersionNotSoftDeleted(), notSoft.isIncompatible()]).toEqual([
      40407,
      true,
      false,
    ]);
    expect(notSoft.status).toBe(409);
    expect(await c.deleteSchemaVersion(s, 2)).toBe(2);
    const again = await err(c.deleteSchemaVersion(s, 2));
    expect([again.code, again.isSchemaVersionSoftDeleted()]).toEqual([40406, true]);
    expect(again.status).toBe(409);

    expect(await c.listVersions(s)).toEqual([1]);
    expect(await c.listVersions(s, { deleted: true })).toEqual([1, 2]);
    expect(await c.listVersions(s, { deletedOnly: true })).toEqual([2]);
    const hidden = await err(c.getSchemaVersion(s, 2));
    expect(hidden.isVersionNotFound()).toBe(true);
    expect(await c.getSchemaVersion(s, 2, { deleted: true })).toMatchObject({ id: id2, version: 2 });

    expect(await c.deleteSchemaVersion(s, 2, { permanent: true })).toBe(2);
    expect(await c.listVersions(s, { deleted: true })).toEqual([1]);
    expect(await c.deleteSchemaVersion(s, 1, { permanent: true, softFirst: true })).toBe(1);
    const none = await err(c.listVersions(s));
    expect(none.isSubjectNotFound()).toBe(true);
    // Confluent forgets a subject once its last version is permanently deleted; Apicurio keeps it
    // as a soft-deleted subject with no versions until the subject itself is deleted permanently.
    expect(await c.listSubjects({ deleted: true })).toContain(s);
    expect(await c.deleteSubject(s, { permanent: true, softFirst: true })).toEqual([]);
    expect(await c.listSubjects({ deleted: true })).not.toContain(s);
    created.delete(s);
    expect(contract.violations).toEqual([]);
  });

  it('maps the registry error codes it answers to the predicates', async () => {
    const s = `${uniqueName('lakekit_err')}-value`;
    created.add(s);
    await c.registerSchema(s, { schema: V1 });
    const err = async (p: Promise<unknown>) => (await p.catch((x: unknown) => x)) as SchemaRegistryError;

    const noVersion = await err(c.getSchemaVersion(s, 99));
    expect([noVersion.status, noVersion.code, noVersion.isVersionNotFound()]).toEqual([404, 40402, true]);
    const noSchema = await err(c.getSchemaById(2_000_000_000));
    expect([noSchema.status, noSchema.code, noSchema.isSchemaNotFound()]).toEqual([404, 40403, true]);
    const noSubject = await err(c.listVersions(`${s}-missing`));
    expect([noSubject.status, noSubject.code, noSubject.isSubjectNotFound()]).toEqual([404, 40401, true]);
    const invalid = await err(c.registerSchema(`${s}-invalid`, { schema: '{not json' }));
    expect([invalid.status, invalid.code, invalid.isInvalidSchema()]).toEqual([422, 42201, true]);
    const notRegistered = await err(c.lookupSchema(s, { schema: V2 }));
    expect(notRegistered.isSchemaNotFound()).toBe(true);

    // Bad input that the client's types would refuse, sent with a client that has no contract
    // middleware (the request itself breaks the contract on purpose).
    const raw = createSchemaRegistryClient({ baseUrl: baseUrl(), retry: false });
    const badLevel = await err(raw.updateConfig({ compatibility: 'SIDEWAYS' as never }, { subject: s }));
    expect([badLevel.status, badLevel.code, badLevel.isInvalidCompatibilityLevel()]).toEqual([
      422,
      42203,
      true,
    ]);

    await c.deleteSubject(s);
    const twice = await err(c.deleteSubject(s));
    expect([twice.status, twice.code, twice.isSubjectSoftDeleted()]).toEqual([404, 40404, true]);
    await dropSubject(c, s);
    created.delete(s);
    expect(contract.violations).toEqual([]);
  });

  it('documents where the stack registry (Apicurio) differs from Confluent', async () => {
    const plain = createSchemaRegistryClient({ baseUrl: baseUrl(), retry: false });

    // Confluent answers `GET /` with `{}`; Apicurio serves its HTML console there, which the client
    // reports as a protocol error naming the content type.
    const root = (await plain.getRoot().catch((x: unknown) => x)) as SchemaRegistryError;
    expect(root).toBeInstanceOf(SchemaRegistryError);
    expect(root.kind).toBe('protocol');
    expect(root.message).toContain('text/html');

    // Confluent lists contexts as ['.', '.ctx', …]; Apicurio answers only its default context,
    // spelled ':.:', and a context-qualified subject does not create a context.
    const s = `${uniqueName('lakekit_diff')}-value`;
    const ctxSubject = `:.lakekitctx:${s}`;
    created.add(s).add(ctxSubject);
    await c.registerSchema(ctxSubject, { schema: V1 });
    expect(await c.listVersions(ctxSubject)).toEqual([1]);
    const contexts = await c.listContexts();
    expect(contexts).toContain(':.:');
    expect(contexts).not.toContain('.lakekitctx');

    // Confluent answers 404 40408 / 40409 for a subject without its own config / mode; Apicurio
    // answers 200 with the effective (global) value.
    await c.registerSchema(s, { schema: V1 });
    const globalLevel = (await c.getConfig()).compatibilityLevel;
    expect((await c.getConfig({ subject: s })).compatibilityLevel).toBe(globalLevel);
    expect(await c.getMode({ subject: s })).toBe('READWRITE');

    // Confluent refuses writes to a READONLY subject with 42205; Apicurio stores the mode but does
    // not enforce it, so the registration below succeeds.
    expect(await c.setMode('READONLY', { subject: s })).toBe('READONLY');
    expect(await c.getMode({ subject: s })).toBe('READONLY');
    const { id } = await c.registerSchema(s, { schema: V2 });
    expect(id).toBeGreaterThanOrEqual(0);
    await c.deleteMode({ subject: s });

    await dropSubject(c, s);
    await dropSubject(c, ctxSubject);
    created.delete(s);
    created.delete(ctxSubject);
    expect(contract.violations).toEqual([]);
  });

  it('measures registration throughput (printed, not asserted)', async () => {
    const prefix = uniqueName('lakekit_tput');
    const total = 300;
    // Apicurio with in-memory H2 got slower per registration above a few concurrent writers on this
    // machine (1 writer: 44 ms each; 8 and 32 writers: 84–90 ms each), so the bound is small.
    const concurrency = 4;
    const events: HttpLogEvent[] = [];
    const t = createSchemaRegistryClient({ baseUrl: baseUrl(), logger: (ev) => events.push(ev) });
    const subjects = Array.from({ length: total }, (_, i) => `${prefix}-${i}-value`);
    for (const s of subjects) created.add(s);
    const callMs: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < total; i = next++) {
          const t0 = performance.now();
          await t.registerSchema(subjects[i] as string, {
            schema: JSON.stringify({
              type: 'record',
              name: `Row${i}`,
              namespace: 'lakekit.tput',
              fields: [{ name: `f${i}`, type: 'long' }],
            }),
          });
          callMs.push(performance.now() - t0);
        }
      }),
    );
    const wallMs = performance.now() - started;
    const perMinute = (total / wallMs) * 60_000;
    const httpMs = events.reduce((sum, ev) => sum + ev.durationMs, 0);
    const clientMs = callMs.reduce((sum, ms) => sum + ms, 0);
    const overhead = clientMs > 0 ? Math.max(0, (clientMs - httpMs) / clientMs) : 0;
    console.log(
      `registry throughput: ${total} distinct schemas, concurrency ${concurrency}: ` +
        `${(wallMs / 1000).toFixed(2)} s, ${Math.round(perMinute)} registrations/minute; ` +
        `client overhead ${(overhead * 100).toFixed(1)}% of call time (${events.length} HTTP attempts)`,
    );
    expect(callMs).toHaveLength(total);

    let k = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let i = k++; i < total; i = k++) {
          const s = subjects[i] as string;
          await dropSubject(t, s);
          created.delete(s);
        }
      }),
    );
  });
});
