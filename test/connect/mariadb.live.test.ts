import mysql from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ConnectError,
  type ConnectorConfig,
  createConnectClient,
  type KafkaConnectClient,
  mariadbConnector,
} from '../../src/connect/index.js';
import {
  collect,
  consumeUntil,
  createKafka,
  type DebeziumChangeEvent,
  type DebeziumEvent,
  decodeDebeziumEvent,
  deleteTopics,
  listTopics,
  waitForTopic,
} from '../../src/kafka/index.js';
import { liveContract } from '../support/contract.js';
import { describeLive, env, uniqueName } from '../support/live.js';

type Customer = { id: number; name: string; email: string | null };
type Event = DebeziumEvent<Customer>;

describeLive(['connect', 'kafka', 'mariadb'], 'Debezium MariaDB connector (live)', () => {
  const suffix = uniqueName('lkm');
  const table = `customers_${suffix.slice(4)}`;
  const name = `mariadb-${suffix}`;
  let database: string;
  let password: string;
  let topic: string;

  let connect: KafkaConnectClient;
  let contract: ReturnType<typeof liveContract>;
  let kafka: ReturnType<typeof createKafka>;
  let db: mysql.Connection;
  let config: ConnectorConfig;

  beforeAll(async () => {
    const baseUrl = env('LAKEKIT_CONNECT_URL');
    contract = liveContract('kafka-connect', baseUrl);
    connect = createConnectClient({ baseUrl, middleware: [contract.middleware], timeoutMs: 60_000 });
    const brokers = env('LAKEKIT_KAFKA_BROKERS');
    kafka = createKafka({ brokers });
    const url = env('LAKEKIT_MYSQL_URL');
    database = decodeURIComponent(new URL(url).pathname.slice(1));
    password = decodeURIComponent(new URL(url).password);
    topic = `${suffix}.${database}.${table}`;
    db = await mysql.createConnection(url);
    await db.query(
      `CREATE TABLE ${table} (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, email VARCHAR(128))`,
    );
    await db.query(
      `INSERT INTO ${table} VALUES ${Array.from({ length: 12 }, (_, i) => `(${i + 1}, 'name ${i + 1}', NULL)`).join(',')}`,
    );
    config = mariadbConnector({
      connection: url.replace(/^mysql:/, 'mariadb:'),
      topicPrefix: suffix,
      // Unique per connector and different from the server's own server_id.
      serverId: 10_000 + Math.floor(Math.random() * 50_000),
      schemaHistory: { topic: `${suffix}.schema-history`, bootstrapServers: brokers },
      tableIncludeList: [`${database}.${table}`],
      snapshotMode: 'initial',
      includeSchemaChanges: false,
      keyConverter: { type: 'json', schemas: false },
      valueConverter: { type: 'json', schemas: true },
    });
  });

  afterAll(async () => {
    await connect?.deleteConnector(name, { ignoreMissing: true }).catch(() => undefined);
    if (db) {
      await db.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await db.end();
    }
    if (kafka) await deleteTopics(kafka, await listTopics(kafka, suffix)).catch(() => undefined);
  });

  it('registers MariaDbConnector and snapshots one r event per row (JSON with schemas)', async () => {
    expect((await connect.upsertConnector(name, config)).created).toBe(true);
    await connect.waitForConnectorRunning(name, { timeoutMs: 90_000 });
    await waitForTopic(kafka, topic, { timeoutMs: 60_000 });
    const [rows] = await db.query(`SELECT COUNT(*) AS n FROM ${table}`);
    const n = Number((rows as { n: number }[])[0]?.n);
    const events = await collect<Event>(kafka, topic, n, { decode: decodeDebeziumEvent, timeoutMs: 60_000 });
    const reads = events.filter(
      (e): e is DebeziumChangeEvent<Customer> => e.kind === 'change' && e.op === 'r',
    );
    expect(reads).toHaveLength(n);
    expect(reads.every((e) => e.schema !== undefined && e.source.connector === 'mariadb')).toBe(true);
  });

  it('streams insert, update, delete as c, u, d with before/after (binlog_row_image FULL), then a tombstone', async () => {
    await db.query(`INSERT INTO ${table} VALUES (500, 'Grace', 'grace@example.com')`);
    await db.query(`UPDATE ${table} SET email = 'grace@navy.mil' WHERE id = 500`);
    await db.query(`DELETE FROM ${table} WHERE id = 500`);
    const is500 = (e: Event) => (e.key as { id?: number } | null)?.id === 500;
    const events = await consumeUntil<Event>(kafka, topic, (e) => e.kind === 'tombstone' && is500(e), {
      decode: decodeDebeziumEvent,
      timeoutMs: 60_000,
    });
    const mine = events.filter(is500);
    expect(mine.map((e) => (e.kind === 'change' ? e.op : e.kind))).toEqual(['c', 'u', 'd', 'tombstone']);
    const [c, u, d] = mine as DebeziumChangeEvent<Customer>[];
    expect(c).toMatchObject({ before: null, after: { id: 500, name: 'Grace', email: 'grace@example.com' } });
    expect(u).toMatchObject({ before: { email: 'grace@example.com' }, after: { email: 'grace@navy.mil' } });
    expect(d).toMatchObject({ before: { id: 500 }, after: null });
    expect(typeof c?.source.file).toBe('string');
  });

  it('refuses a wrong password at registration with the worker message and never the password', async () => {
    const wrong = `wrong-${suffix}`;
    const badName = `${name}-badpw`;
    const e = (await connect
      .upsertConnector(badName, { ...config, 'database.password': wrong })
      .catch((x: unknown) => x)) as ConnectError;
    expect(e).toBeInstanceOf(ConnectError);
    expect(e.isBadConfig()).toBe(true);
    expect(e.message).toMatch(/Access denied/i);
    for (const secret of [wrong, password]) {
      expect(e.message).not.toContain(secret);
      expect(JSON.stringify(e)).not.toContain(secret);
      expect(JSON.stringify(e.body ?? null)).not.toContain(secret);
    }
    expect(await connect.connectorExists(badName)).toBe(false);
  });

  it('re-registration is a no-op and every answer matched the contract', async () => {
    expect(await connect.upsertConnector(name, config)).toEqual({ created: false, changed: [] });
    await connect.deleteConnector(name);
    expect(await connect.connectorExists(name)).toBe(false);
    expect(contract.violations).toEqual([]);
  });
});
