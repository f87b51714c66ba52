/**
 * Avro CDC through the stack's registry (issue 7, converters): a PostgreSQL connector whose key and
 * value converters are Apicurio's `AvroConverter` (the worker's plugin path carries it, see
 * stack/README.md) configured for the Confluent wire format — magic byte 0, a 4-byte id, no id
 * headers — so that lakekit/registry's Avro deserializer, which reads that format through the
 * registry's Confluent API, decodes the events, and lakekit/kafka turns them into Debezium envelopes.
 *
 * Apicurio 2.6 converter defaults differ from Confluent's on all three points (ids in Kafka headers,
 * 8-byte ids, global ids); `as-confluent` selects the 4-byte id handler, `headers.enabled=false`
 * puts the id in the payload, and `use-id=contentId` writes the id the registry's Confluent API
 * (`/schemas/ids/{id}`) answers for.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ConnectorConfig, createConnectClient, postgresConnector } from '../../src/connect/index.js';
import {
  type ConsumedRecord,
  consumeUntil,
  createKafka,
  type DebeziumChangeEvent,
  type DebeziumEvent,
  decodeAvroDebeziumEvents,
  deleteTopics,
  listTopics,
  waitForTopic,
} from '../../src/kafka/index.js';
import { createSchemaRegistryClient, deserializer, MAGIC_BYTE } from '../../src/registry/index.js';
import { describeLive, env, uniqueName } from '../support/live.js';

type Customer = { id: number; name: string; email: string | null; visits: number | bigint };
const APICURIO_AVRO = 'io.apicurio.registry.utils.converter.AvroConverter';

describeLive(['connect', 'kafka', 'postgres', 'registry'], 'Debezium PostgreSQL with Avro (live)', () => {
  const suffix = uniqueName('lk');
  const table = `customers_${suffix.slice(3)}`;
  const name = `pg-avro-${suffix}`;
  const publication = `${suffix}_pub`;
  const slot = `${suffix}_slot`;
  const topic = `${suffix}.public.${table}`;
  const registryUrl = env('LAKEKIT_REGISTRY_URL');
  // Apicurio's 2.6 converter speaks the registry's own v2 API (Apicurio 3 still serves it).
  const apicurioV2 = `${new URL(registryUrl).origin}/apis/registry/v2`;

  const connect = createConnectClient({ baseUrl: env('LAKEKIT_CONNECT_URL'), timeoutMs: 60_000 });
  const registry = createSchemaRegistryClient({ baseUrl: registryUrl });
  const kafka = createKafka({ brokers: env('LAKEKIT_KAFKA_BROKERS') });
  let db: pg.Client;
  let recordsSoFar = 0;

  beforeAll(async () => {
    db = new pg.Client({ connectionString: env('LAKEKIT_PG_URL') });
    await db.connect();
    await db.query(
      `CREATE TABLE ${table} (id int PRIMARY KEY, name text NOT NULL, email text, visits bigint NOT NULL DEFAULT 0)`,
    );
    await db.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
    await db.query(
      `INSERT INTO ${table} SELECT g, 'name ' || g, CASE WHEN g % 2 = 0 THEN NULL ELSE 'c' || g || '@example.com' END, g * 10 FROM generate_series(1, 5) g`,
    );
  });

  afterAll(async () => {
    await connect.deleteConnector(name, { ignoreMissing: true, timeoutMs: 30_000 }).catch(() => undefined);
    if (db) {
      for (let i = 0; i < 40; i++) {
        const r = await db.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
        if (r.rowCount === 0) break;
        if (!r.rows[0].active) {
          await db.query('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
          break;
        }
        await new Promise((res) => setTimeout(res, 500));
      }
      await db.query(`DROP PUBLICATION IF EXISTS ${publication}`).catch(() => undefined);
      await db.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await db.end();
    }
    for (const subject of [`${topic}-key`, `${topic}-value`])
      await registry.deleteSubject(subject, { permanent: true, softFirst: true }).catch(() => undefined);
    await deleteTopics(kafka, await listTopics(kafka, suffix)).catch(() => undefined);
  });

  it('has the Apicurio Avro converter on the worker', async () => {
    const classes = (await connect.listConnectorPlugins({ connectorsOnly: false })).map((p) => p.class);
    expect(classes).toContain(APICURIO_AVRO);
  });

  it('streams snapshot, insert, update, delete as Avro that lakekit decodes into Debezium envelopes', async () => {
    const avro = { type: 'avro', registryUrl: apicurioV2, flavor: 'apicurio' } as const;
    const confluentWire = (prefix: string): ConnectorConfig => ({
      [`${prefix}.apicurio.registry.as-confluent`]: 'true',
      [`${prefix}.apicurio.registry.headers.enabled`]: 'false',
      [`${prefix}.apicurio.registry.use-id`]: 'contentId',
    });
    const config: ConnectorConfig = {
      ...postgresConnector({
        connection: env('LAKEKIT_PG_URL'),
        topicPrefix: suffix,
        tableIncludeList: [`public.${table}`],
        slotName: slot,
        publicationName: publication,
        publicationAutocreateMode: 'filtered',
        snapshotMode: 'initial',
        keyConverter: avro,
        valueConverter: avro,
      }),
      ...confluentWire('key.converter'),
      ...confluentWire('value.converter'),
    };
    expect(config['value.converter']).toBe(APICURIO_AVRO);
    expect(config['value.converter.apicurio.registry.url']).toBe(apicurioV2);

    await connect.upsertConnector(name, config);
    await connect.waitForConnectorRunning(name, { timeoutMs: 90_000 });
    await waitForTopic(kafka, topic, { timeoutMs: 60_000 });
    await db.query(`INSERT INTO ${table} VALUES (1000, 'Ada', 'ada@example.com', 4242)`);
    await db.query(`UPDATE ${table} SET email = 'ada@lovelace.org' WHERE id = 1000`);
    await db.query(`DELETE FROM ${table} WHERE id = 1000`);

    // 5 snapshot reads + c + u + d + tombstone; the tombstone has a null value.
    const raw = await consumeUntil<ConsumedRecord>(
      kafka,
      topic,
      (r, all) => r.value === null && all.length >= 9,
      { timeoutMs: 90_000 },
    );
    expect(raw).toHaveLength(9);

    // Confluent wire format: magic byte, 4-byte id, Avro body; no Apicurio id headers.
    const values = raw.flatMap((r) => (r.value ? [r.value] : []));
    expect(values.every((v) => v[0] === MAGIC_BYTE && v.length > 5)).toBe(true);
    expect(raw[0]?.key?.[0]).toBe(MAGIC_BYTE);
    expect(raw.flatMap((r) => Object.keys(r.headers)).filter((h) => h.startsWith('apicurio'))).toEqual([]);
    const valueId = values[0]?.readUInt32BE(1) ?? -1;
    expect(await registry.getSubjectsBySchemaId(valueId)).toContain(`${topic}-value`);
    expect(await registry.listSubjects()).toEqual(expect.arrayContaining([`${topic}-key`, `${topic}-value`]));

    const avroDeserializer = deserializer('AVRO', { client: registry });
    const events = await decodeAvroDebeziumEvents<Customer>(raw, {
      key: avroDeserializer,
      value: avroDeserializer,
    });
    const changes = events.filter((e): e is DebeziumChangeEvent<Customer> => e.kind === 'change');
    const reads = changes.filter((e) => e.op === 'r');
    expect(reads.map((e) => e.after?.id).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual([1, 2, 3, 4, 5]);
    expect(reads.every((e) => e.snapshot && e.before === null)).toBe(true);
    expect(reads.find((e) => e.after?.id === 2)?.after).toMatchObject({
      name: 'name 2',
      email: null,
      visits: 20,
    });
    expect(reads[0]?.source).toMatchObject({ connector: 'postgresql', name: suffix, table });

    const mine = events.filter(
      (e: DebeziumEvent<Customer>) => (e.key as { id?: number } | null)?.id === 1000,
    );
    expect(mine.map((e) => (e.kind === 'change' ? e.op : e.kind))).toEqual(['c', 'u', 'd', 'tombstone']);
    const [c, u, d] = mine as DebeziumChangeEvent<Customer>[];
    expect(c?.after).toMatchObject({ id: 1000, name: 'Ada', email: 'ada@example.com', visits: 4242 });
    expect(u).toMatchObject({ before: { email: 'ada@example.com' }, after: { email: 'ada@lovelace.org' } });
    expect(d).toMatchObject({ before: { id: 1000, email: 'ada@lovelace.org' }, after: null });
    expect(typeof c?.source.lsn).toBe('number');
    recordsSoFar = raw.length;
    console.log(
      `Avro CDC: ${raw.length} records, value schema id ${valueId} (contentId via as-confluent), ${values.reduce((n, v) => n + v.length, 0)} value bytes`,
    );
  });

  // Connect's Avro schemas write bigint columns as {"type":"long", …} objects; the serde must give
  // those the exact int64 type too (avsc's own long refuses values beyond 2^53).
  it('decodes a bigint beyond 2^53 exactly from a Debezium Avro schema', async () => {
    expect(recordsSoFar).toBe(9);
    await db.query(`INSERT INTO ${table} VALUES (2000, 'Big', NULL, 9007199254740993)`);
    const raw = await consumeUntil<ConsumedRecord>(kafka, topic, (_r, all) => all.length > recordsSoFar, {
      timeoutMs: 60_000,
    });
    const avroDeserializer = deserializer('AVRO', { client: registry });
    const [event] = await decodeAvroDebeziumEvents<Customer>(raw.slice(recordsSoFar), {
      key: avroDeserializer,
      value: avroDeserializer,
    });
    expect(event).toMatchObject({ kind: 'change', op: 'c', after: { id: 2000 } });
    expect((event as DebeziumChangeEvent<Customer>).after?.visits).toBe(9007199254740993n);
  });
});
