/**
 * `lakekit demo`: the main job for a newcomer, end to end on the local stack. For each source
 * database (Postgres and MariaDB) it creates a `customers` table with rows, registers a Debezium
 * connector (snapshot, then streaming), inserts, updates and deletes rows, runs lakekit's CDC sink
 * into an Iceberg table (upsert/delete by key) and a Delta change log, and checks that each target
 * holds exactly the source's rows (count and content checksum). Every name carries a run id so repeated or parallel demos never collide; the
 * connectors and replication slots it made are removed at the end, the tables are kept to inspect.
 */
import { Field, Int64, Utf8 } from 'apache-arrow';
import { logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createConnectClient, mariadbConnector, postgresConnector } from '../connect/index.js';
import { createIcebergCatalog, optional, required } from '../iceberg/index.js';
import { countRecords, createKafka } from '../kafka/admin.js';
import { runCdcSink, type SinkTarget } from '../sink/cdc-sink.js';
import { deltaChangelogTarget } from '../sink/delta-target.js';
import { icebergTarget } from '../sink/iceberg-target.js';
import { createS3Store } from '../storage/index.js';
import { type Endpoints, s3Settings } from './config.js';
import { UsageError } from './output.js';
import { summarizeSqlTable, type TableSummary } from './sources.js';
import { summarizeTarget } from './targets.js';

export interface DemoOptions {
  endpoints: Endpoints;
  /** Rows in the initial snapshot. */
  rows: number;
  sources: ('postgres' | 'mariadb')[];
  progress: (line: string) => void;
  /** Stop each sink after this many committed batches and start it again (proves resumption). */
  restartSinkAfterBatches?: number;
  signal?: AbortSignal;
}

export interface FlowResult {
  flow: string;
  source: TableSummary;
  target: TableSummary;
  ok: boolean;
  events: number;
  /** Times the sink was stopped and started again before it caught up. */
  restarts: number;
  seconds: number;
}

const COLUMNS = [
  new Field('id', new Int64(), false),
  new Field('name', new Utf8(), true),
  new Field('amount', new Utf8(), true),
];
const ICEBERG_FIELDS = [
  required(1, 'id', 'long'),
  optional(2, 'name', 'string'),
  optional(3, 'amount', 'string'),
];
const CHECKSUM = ['id', 'name', 'amount'];

interface SourceSetup {
  url: string;
  topic: string;
  connector: string;
  cleanup: () => Promise<void>;
  /** Applies the streaming changes; returns how many Kafka records they will produce. */
  change: () => Promise<number>;
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new UsageError(`the demo needs ${what}; start the stack: npm run stack:up`);
  return v;
}

/** Inserts, updates and deletes applied after the snapshot; the counts are part of the check. */
function changePlan(rows: number) {
  const inserts = Math.max(1, Math.floor(rows / 10));
  const updates = Math.max(1, Math.floor(rows / 20));
  const deletes = Math.max(1, Math.floor(rows / 50));
  return { inserts, updates, deletes, records: inserts + updates + 2 * deletes /* delete + tombstone */ };
}

async function setupPostgres(e: Endpoints, run: string, rows: number): Promise<SourceSetup> {
  const url = need(e.postgres, 'Postgres').url;
  const table = `customers_${run}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name text, amount numeric(12,2))`);
  await client.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
  await client.query(
    `INSERT INTO ${table} SELECT g, 'customer ' || g, round((g * 7.31)::numeric % 1000, 2) FROM generate_series(1, $1) g`,
    [rows],
  );
  await client.query(`CREATE PUBLICATION lakekit_${run} FOR TABLE ${table}`);
  const plan = changePlan(rows);
  const connect = createConnectClient({ baseUrl: need(e.connect, 'Kafka Connect').url });
  const connector = `lakekit-demo-pg-${run}`;
  await connect.upsertConnector(
    connector,
    postgresConnector({
      connection: url,
      topicPrefix: `demo_pg_${run}`,
      tableIncludeList: [`public.${table}`],
      slotName: `lakekit_${run}`,
      publicationName: `lakekit_${run}`,
      publicationAutocreateMode: 'disabled',
      decimalHandlingMode: 'string',
      valueConverter: { type: 'json', schemas: false },
      keyConverter: { type: 'json', schemas: false },
    }),
  );
  await connect.waitForConnectorRunning(connector, { timeoutMs: 60_000 });
  const u = new URL(url);
  u.pathname = `${u.pathname}.public.${table}`;
  return {
    url: u.toString(),
    topic: `demo_pg_${run}.public.${table}`,
    connector,
    async change() {
      await client.query(
        `INSERT INTO ${table} SELECT g, 'customer ' || g, round((g * 3.17)::numeric % 1000, 2) FROM generate_series($1::bigint + 1, $1::bigint + $2) g`,
        [rows, plan.inserts],
      );
      await client.query(
        `UPDATE ${table} SET name = name || ' (updated)', amount = amount + 1 WHERE id <= $1`,
        [plan.updates],
      );
      await client.query(`DELETE FROM ${table} WHERE id > $1 AND id <= $2`, [rows - plan.deletes, rows]);
      return plan.records;
    },
    async cleanup() {
      await connect.deleteConnector(connector, { ignoreMissing: true }).catch(() => undefined);
      // Deleting a connector keeps its replication slot, which would pin WAL forever; the slot stays
      // active until the stopped task's connection closes, so wait for that before dropping it.
      const slot = `lakekit_${run}`;
      for (let i = 0; i < 40; i++) {
        const r = await client
          .query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot])
          .catch(() => undefined);
        if (!r || r.rowCount === 0) break;
        if (r.rows[0]?.active === false) {
          await client.query('SELECT pg_drop_replication_slot($1)', [slot]).catch(() => undefined);
          break;
        }
        await new Promise((res) => setTimeout(res, 250));
      }
      await client.query(`DROP PUBLICATION IF EXISTS lakekit_${run}`).catch(() => undefined);
      await client.end();
    },
  };
}

async function setupMariadb(e: Endpoints, run: string, rows: number): Promise<SourceSetup> {
  const url = need(e.mariadb, 'MariaDB').url;
  const brokers = need(e.kafka, 'Kafka').brokers;
  const table = `customers_${run}`;
  const conn = await mysql.createConnection({ uri: url, multipleStatements: false });
  await conn.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name varchar(200), amount decimal(12,2))`);
  const values = Array.from({ length: rows }, (_, i) => [
    i + 1,
    `customer ${i + 1}`,
    (((i + 1) * 731) % 100000) / 100,
  ]);
  for (let i = 0; i < values.length; i += 1000) {
    await conn.query(`INSERT INTO ${table} (id, name, amount) VALUES ?`, [values.slice(i, i + 1000)]);
  }
  const plan = changePlan(rows);
  const connect = createConnectClient({ baseUrl: need(e.connect, 'Kafka Connect').url });
  const connector = `lakekit-demo-mariadb-${run}`;
  const database = new URL(url).pathname.replace(/^\//, '');
  await connect.upsertConnector(
    connector,
    mariadbConnector({
      connection: url,
      topicPrefix: `demo_mariadb_${run}`,
      serverId: 5400 + Math.floor(Math.random() * 1000),
      databaseIncludeList: [database],
      tableIncludeList: [`${database}.${table}`],
      schemaHistory: { topic: `demo_mariadb_${run}.history`, bootstrapServers: brokers },
      decimalHandlingMode: 'string',
      includeSchemaChanges: false,
      valueConverter: { type: 'json', schemas: false },
      keyConverter: { type: 'json', schemas: false },
    }),
  );
  await connect.waitForConnectorRunning(connector, { timeoutMs: 60_000 });
  const u = new URL(url);
  u.pathname = `${u.pathname}.${table}`;
  return {
    url: u.toString(),
    topic: `demo_mariadb_${run}.${database}.${table}`,
    connector,
    async change() {
      const more = Array.from({ length: plan.inserts }, (_, i) => [
        rows + i + 1,
        `customer ${rows + i + 1}`,
        ((i * 317) % 100000) / 100,
      ]);
      await conn.query(`INSERT INTO ${table} (id, name, amount) VALUES ?`, [more]);
      await conn.query(
        `UPDATE ${table} SET name = CONCAT(name, ' (updated)'), amount = amount + 1 WHERE id <= ?`,
        [plan.updates],
      );
      await conn.query(`DELETE FROM ${table} WHERE id > ? AND id <= ?`, [rows - plan.deletes, rows]);
      return plan.records;
    },
    async cleanup() {
      await connect.deleteConnector(connector, { ignoreMissing: true }).catch(() => undefined);
      await conn.end();
    },
  };
}

async function waitForRecords(
  kafka: ReturnType<typeof createKafka>,
  topic: string,
  expected: number,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  let seen = 0;
  for (;;) {
    seen = await countRecords(kafka, topic).catch(() => 0);
    if (seen >= expected) return seen;
    if (Date.now() > deadline) {
      throw new Error(
        `topic ${topic} has ${seen} records after ${timeoutMs / 1000} s; expected at least ${expected}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function runDemo(o: DemoOptions): Promise<FlowResult[]> {
  const e = o.endpoints;
  const s3 = need(e.s3, 'S3');
  const s3conn = need(s3Settings(e), 'S3');
  // kafkajs logs metadata misses at ERROR while Debezium is still creating the topics; the waits
  // below report real failures themselves.
  const kafka = createKafka({
    brokers: need(e.kafka, 'Kafka').brokers,
    clientId: 'lakekit-demo',
    logLevel: logLevel.NOTHING,
  });
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const results: FlowResult[] = [];
  for (const source of o.sources) {
    const t0 = performance.now();
    o.progress(
      `${source}: creating customers_${run} with ${o.rows} rows and registering the Debezium connector`,
    );
    const setup =
      source === 'postgres' ? await setupPostgres(e, run, o.rows) : await setupMariadb(e, run, o.rows);
    try {
      o.progress(`${source}: waiting for the snapshot on ${setup.topic}`);
      await waitForRecords(kafka, setup.topic, o.rows, 120_000);
      const extra = await setup.change();
      o.progress(`${source}: applied inserts/updates/deletes; waiting for ${extra} more change records`);
      await waitForRecords(kafka, setup.topic, o.rows + extra, 120_000);

      const targets: { flow: string; location: string; target: SinkTarget }[] = [];
      const prefix = `demo/${source}_customers_${run}`;
      const store = createS3Store({ bucket: s3.bucket, prefix, ...s3conn });
      const icebergName = `${source}_customers_${run}`;
      targets.push({
        flow: `${source} → iceberg`,
        location: `iceberg://lakekit_demo.${icebergName}`,
        target: icebergTarget({
          catalog: createIcebergCatalog({
            baseUrl: need(e.iceberg, 'the Iceberg catalog').url,
            warehouse: need(e.iceberg, 'the Iceberg catalog').warehouse,
          }),
          namespace: ['lakekit_demo'],
          name: icebergName,
          sinkId: `demo-${run}`,
          fields: ICEBERG_FIELDS,
          keyColumns: ['id'],
          s3: s3conn,
        }),
      });
      targets.push({
        flow: `${source} → delta`,
        location: `delta://s3://${s3.bucket}/${prefix}`,
        target: deltaChangelogTarget({ store, sinkId: `demo-${run}`, columns: COLUMNS, keyColumns: ['id'] }),
      });
      for (const t of targets) {
        o.progress(`${t.flow}: running the CDC sink into ${t.location}`);
        const sinkOptions = {
          kafka,
          topic: setup.topic,
          keyColumns: ['id'],
          target: t.target,
          batchSize: 2000,
          flushIntervalMs: 500,
        };
        let events = 0;
        let restarts = 0;
        if (o.restartSinkAfterBatches) {
          // Stop the sink mid-stream, as a crash or a deploy would, then start a new one: it must
          // resume from the positions stored in the target and lose or repeat nothing.
          const stop = new AbortController();
          let batches = 0;
          await runCdcSink({
            ...sinkOptions,
            signal: stop.signal,
            onBatch: (b) => {
              events += b.events;
              if (++batches >= (o.restartSinkAfterBatches ?? 1)) stop.abort();
            },
          }).catch((e: unknown) => {
            if (!stop.signal.aborted) throw e;
          });
          restarts++;
          o.progress(
            `${t.flow}: sink stopped after ${batches} batches (${events} events); starting a new one`,
          );
        }
        const summary = await runCdcSink({
          ...sinkOptions,
          stopWhenCaughtUp: true,
          ...(o.signal ? { signal: o.signal } : {}),
        });
        events += summary.events;
        const [src, dst] = await Promise.all([
          summarizeSqlTable(setup.url, CHECKSUM),
          summarizeTarget(t.location, { endpoints: e, columns: CHECKSUM, keyColumns: ['id'] }),
        ]);
        results.push({
          flow: t.flow,
          source: src,
          target: dst,
          ok: src.count === dst.count && src.checksum === dst.checksum,
          events,
          restarts,
          seconds: Math.round((performance.now() - t0) / 100) / 10,
        });
      }
    } finally {
      await setup.cleanup();
    }
  }
  return results;
}
