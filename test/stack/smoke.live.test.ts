/**
 * One live smoke test per stack service (issue 11): each proves the server `npm run stack:up` started
 * is the real thing and configured as the tests rely on (S3 conditional writes, Iceberg on the S3
 * warehouse, registry ids, Debezium plugins, Alertmanager receivers, Kafka round trip, logical WAL
 * and ROW binlog, Python reference clients).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { expect, it } from 'vitest';
import { createAlertmanagerClient } from '../../src/alertmanager/index.js';
import { createConnectClient } from '../../src/connect/index.js';
import { createIcebergCatalog } from '../../src/iceberg/index.js';
import { createSchemaRegistryClient } from '../../src/registry/index.js';
import { describeLive, env, liveS3, uniqueName } from '../support/live.js';

const execFileP = promisify(execFile);

describeLive(['s3'], 'stack smoke: S3 (versitygw)', () => {
  it('puts, gets, range-gets, and refuses a second If-None-Match: * put with 412', async () => {
    const s3 = new S3Client({
      ...liveS3(),
    });
    const Bucket = env('LAKEKIT_S3_BUCKET');
    const Key = `${uniqueName('smoke')}/object.txt`;
    try {
      await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'hello lakehouse', IfNoneMatch: '*' }));
      const all = await s3.send(new GetObjectCommand({ Bucket, Key }));
      expect(await all.Body?.transformToString()).toBe('hello lakehouse');
      const part = await s3.send(new GetObjectCommand({ Bucket, Key, Range: 'bytes=6-9' }));
      expect(await part.Body?.transformToString()).toBe('lake');
      const second = await s3
        .send(new PutObjectCommand({ Bucket, Key, Body: 'overwrite', IfNoneMatch: '*' }))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(second).toBeInstanceOf(S3ServiceException);
      expect((second as S3ServiceException).$metadata.httpStatusCode).toBe(412);
      const after = await s3.send(new GetObjectCommand({ Bucket, Key }));
      expect(await after.Body?.transformToString()).toBe('hello lakehouse');
      // The warehouse bucket exists already: creating it again is refused.
      const again = await s3.send(new CreateBucketCommand({ Bucket: 'warehouse' })).then(
        () => 'created',
        (e: Error) => e.name,
      );
      expect(['BucketAlreadyOwnedByYou', 'BucketAlreadyExists']).toContain(again);
    } finally {
      await s3.send(new DeleteObjectCommand({ Bucket, Key }));
      s3.destroy();
    }
  });
});

describeLive(['iceberg', 's3'], 'stack smoke: Iceberg REST catalog', () => {
  it('answers /v1/config and keeps a table on the S3 warehouse', async () => {
    const base = env('LAKEKIT_ICEBERG_URL');
    const res = await fetch(`${base}/v1/config`);
    expect(res.status).toBe(200);
    const config = (await res.json()) as {
      defaults: Record<string, string>;
      overrides: Record<string, string>;
    };
    expect(config).toHaveProperty('defaults');
    expect(config).toHaveProperty('overrides');

    const catalog = createIcebergCatalog({ baseUrl: base, warehouse: env('LAKEKIT_ICEBERG_WAREHOUSE') });
    const ns = uniqueName('smoke');
    await catalog.createNamespace([ns]);
    try {
      await catalog.createTable([ns], {
        name: 't',
        schema: {
          type: 'struct',
          'schema-id': 0,
          fields: [{ id: 1, name: 'id', required: true, type: 'long' }],
        },
      });
      const loaded = await catalog.loadTable({ namespace: [ns], name: 't' });
      expect(loaded.metadata.location).toMatch(/^s3:\/\/warehouse\//);
      expect(loaded['metadata-location']).toMatch(/\.metadata\.json$/);
      await catalog.dropTable({ namespace: [ns], name: 't' }, { purge: true });
    } finally {
      await catalog.dropNamespace([ns]);
    }
  });
});

describeLive(['registry'], 'stack smoke: Schema Registry (Apicurio ccompat)', () => {
  it('registers a schema and fetches it back by id', async () => {
    const client = createSchemaRegistryClient({ baseUrl: env('LAKEKIT_REGISTRY_URL') });
    const subject = `${uniqueName('smoke')}-value`;
    const schema = JSON.stringify({ type: 'record', name: 'Smoke', fields: [{ name: 'id', type: 'long' }] });
    const { id } = await client.registerSchema(subject, { schema, schemaType: 'AVRO' });
    expect(id).toBeGreaterThan(0);
    const fetched = await client.getSchemaById(id);
    expect(JSON.parse(fetched.schema)).toEqual(JSON.parse(schema));
    // The stack sets BACKWARD as the global compatibility level.
    const cfg = await fetch(`${env('LAKEKIT_REGISTRY_URL')}/config`);
    expect(((await cfg.json()) as { compatibilityLevel: string }).compatibilityLevel).toBe('BACKWARD');
    await fetch(`${env('LAKEKIT_REGISTRY_URL')}/subjects/${subject}`, { method: 'DELETE' });
    await fetch(`${env('LAKEKIT_REGISTRY_URL')}/subjects/${subject}?permanent=true`, { method: 'DELETE' });
  });
});

describeLive(['connect'], 'stack smoke: Kafka Connect + Debezium', () => {
  it('lists the Debezium Postgres, MySQL and MariaDB connector plugins', async () => {
    const client = createConnectClient({ baseUrl: env('LAKEKIT_CONNECT_URL') });
    const classes = (await client.listConnectorPlugins()).map((p) => p.class);
    expect(classes).toContain('io.debezium.connector.postgresql.PostgresConnector');
    expect(classes).toContain('io.debezium.connector.mariadb.MariaDbConnector');
    expect(classes).toContain('io.debezium.connector.mysql.MySqlConnector');
  });
});

describeLive(['alertmanager'], 'stack smoke: Alertmanager', () => {
  it('is ready, reports its version and has the default, critical and warning receivers', async () => {
    const client = createAlertmanagerClient({ baseUrl: env('LAKEKIT_ALERTMANAGER_URL') });
    const status = await client.getStatus();
    expect(status.versionInfo.version).toBe('0.31.1');
    // Webhook URLs are masked as <secret> in the status; the routing and inhibition are visible.
    const config = status.config.original;
    expect(config).toContain('group_wait: 1s');
    expect(config).toMatch(/- receiver: critical\n\s+matchers:\n\s+- severity="critical"/);
    expect(config).toMatch(
      /source_matchers:\n\s+- severity="critical"\n\s+target_matchers:\n\s+- severity="warning"/,
    );
    const names = (await client.listReceivers()).map((r) => r.name).sort();
    expect(names).toEqual(['critical', 'default', 'warning']);
  });
});

describeLive(['kafka'], 'stack smoke: Kafka (KRaft)', () => {
  it('produces to an auto-created topic and consumes the record back', async () => {
    const kafka = new Kafka({
      clientId: 'stack-smoke',
      brokers: env('LAKEKIT_KAFKA_BROKERS').split(','),
      logLevel: logLevel.NOTHING,
    });
    const topic = uniqueName('smoke');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `${topic}-group` });
    try {
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value: 'v1' }] });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const value = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no record within 30 s')), 30_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve(message.value?.toString() ?? '');
          },
        });
      });
      expect(value).toBe('v1');
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });
});

describeLive(['postgres'], 'stack smoke: PostgreSQL', () => {
  it('lets the lakekit role create tables and publications in cdc, with wal_level=logical', async () => {
    const client = new pg.Client({ connectionString: env('LAKEKIT_PG_URL') });
    await client.connect();
    const table = uniqueName('smoke');
    try {
      const wal = await client.query('SHOW wal_level');
      expect(wal.rows[0].wal_level).toBe('logical');
      const role = await client.query(
        'SELECT rolreplication, rolcanlogin FROM pg_roles WHERE rolname = current_user',
      );
      expect(role.rows[0]).toEqual({ rolreplication: true, rolcanlogin: true });
      await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, v text)`);
      await client.query(`INSERT INTO ${table} VALUES (1, 'a')`);
      await client.query(`CREATE PUBLICATION ${table}_pub FOR TABLE ${table}`);
      const rows = await client.query(`SELECT v FROM ${table}`);
      expect(rows.rows).toEqual([{ v: 'a' }]);
    } finally {
      await client.query(`DROP PUBLICATION IF EXISTS ${table}_pub`);
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.end();
    }
  });
});

describeLive(['mariadb'], 'stack smoke: MariaDB', () => {
  it('connects as lakekit to cdc, with a ROW binlog and the CDC grants', async () => {
    const conn = await mysql.createConnection(env('LAKEKIT_MYSQL_URL'));
    const table = uniqueName('smoke');
    try {
      const [vars] = await conn.query(
        "SHOW VARIABLES WHERE Variable_name IN ('binlog_format', 'log_bin', 'binlog_row_image')",
      );
      const map = Object.fromEntries(
        (vars as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name, r.Value]),
      );
      expect(map).toEqual({ binlog_format: 'ROW', log_bin: 'ON', binlog_row_image: 'FULL' });
      const [grants] = await conn.query('SHOW GRANTS');
      const text = (grants as Record<string, string>[]).map((g) => Object.values(g)[0]).join('\n');
      expect(text).toContain('REPLICATION SLAVE');
      // MariaDB ≥ 10.5 shows REPLICATION CLIENT under its new name, BINLOG MONITOR.
      expect(text).toMatch(/REPLICATION CLIENT|BINLOG MONITOR/);
      expect(text).toContain('RELOAD');
      await conn.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, v VARCHAR(10))`);
      await conn.query(`INSERT INTO ${table} VALUES (1, 'a')`);
      const [rows] = await conn.query(`SELECT v FROM ${table}`);
      expect(rows).toEqual([{ v: 'a' }]);
    } finally {
      await conn.query(`DROP TABLE IF EXISTS ${table}`);
      await conn.end();
    }
  });
});

describeLive(['python'], 'stack smoke: Python reference clients', () => {
  it('imports pyiceberg, deltalake, pyarrow and the Confluent serdes', async () => {
    const script = [
      'import pyiceberg, deltalake, pyarrow, confluent_kafka',
      'from confluent_kafka.schema_registry.avro import AvroSerializer',
      'from pyiceberg.catalog.rest import RestCatalog',
      'print(pyiceberg.__version__, deltalake.__version__, pyarrow.__version__)',
    ].join('\n');
    const { stdout } = await execFileP(env('LAKEKIT_PYTHON'), ['-c', script], { timeout: 60_000 });
    const [iceberg, delta, arrow] = stdout.trim().split(' ');
    expect(iceberg).toMatch(/^0\.12\./);
    expect(delta).toMatch(/^1\./);
    expect(Number(arrow?.split('.')[0])).toBeGreaterThanOrEqual(17);
  });
});
