/**
 * Reliability of the CDC path when the Kafka Connect worker crashes (issue 7, "Reliability"): a
 * PostgreSQL connector streams a `customers` table while rows are inserted in a loop; the worker is
 * SIGKILLed through the stack library (pid file, never by name), proven down, restarted through the
 * stack library, and the lakekit client rides through the refused connections and rebalance answers
 * with its own retries until the connector is RUNNING again. Every inserted row must then be on the
 * topic at least once by key; duplicates (Debezium is at-least-once after a crash) are counted and
 * printed, not forbidden. The worker is running again when this file ends, whatever happened.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConnectError, createConnectClient, postgresConnector } from '../../src/connect/index.js';
import {
  collect,
  consumeUntil,
  createKafka,
  type DebeziumEvent,
  decodeDebeziumEvent,
  deleteTopics,
  endOffsets,
  listTopics,
  waitForTopic,
} from '../../src/kafka/index.js';
import { killService, runningProcess, startService } from '../../src/stack/index.js';
import { describeLive, env, uniqueName } from '../support/live.js';

type Customer = { id: number; name: string; email: string | null };
type Event = DebeziumEvent<Customer>;

const SEED_ROWS = 20;
const INSERT_EVERY_MS = 20;

describeLive(['connect', 'kafka', 'postgres'], 'Kafka Connect worker crash during CDC (live)', () => {
  const suffix = uniqueName('lk');
  const table = `customers_${suffix.slice(3)}`;
  const name = `pg-crash-${suffix}`;
  const publication = `${suffix}_pub`;
  const slot = `${suffix}_slot`;
  const topic = `${suffix}.public.${table}`;
  const baseUrl = env('LAKEKIT_CONNECT_URL');
  const retries: string[] = [];

  // The client under test: generous retries so that a restart of the worker (refused connections,
  // then 404/409 while it rejoins its group) is ridden through by the HTTP core, not by the test.
  const connect = createConnectClient({
    baseUrl,
    timeoutMs: 30_000,
    retry: {
      maxAttempts: 200,
      baseDelayMs: 200,
      maxDelayMs: 1000,
      budgetMs: 180_000,
      onRetry: (i) => retries.push(i.status !== undefined ? `HTTP ${i.status}` : i.reason),
    },
  });
  // A probe that must NOT retry: it proves the worker was really down.
  const probe = createConnectClient({ baseUrl, retry: false, timeoutMs: 5_000 });
  const kafka = createKafka({ brokers: env('LAKEKIT_KAFKA_BROKERS') });
  let db: pg.Client;
  let killedWorker = false;

  beforeAll(async () => {
    db = new pg.Client({ connectionString: env('LAKEKIT_PG_URL') });
    await db.connect();
    await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY, name text NOT NULL, email text)`);
    await db.query(
      `INSERT INTO ${table} SELECT g, 'seed ' || g, NULL FROM generate_series(1, ${SEED_ROWS}) g`,
    );
  });

  afterAll(async () => {
    // Leave the shared worker running for everybody else, even when the test failed mid-outage.
    if (killedWorker && !runningProcess('connect')) await startService('connect');
    await connect.deleteConnector(name, { ignoreMissing: true, timeoutMs: 60_000 }).catch(() => undefined);
    if (db) {
      // Deleting a connector keeps its replication slot (and the WAL it pins): drop it once released.
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
    await deleteTopics(kafka, await listTopics(kafka, suffix)).catch(() => undefined);
  });

  it('loses no row when the worker is SIGKILLed mid-stream and restarted', async () => {
    await connect.upsertConnector(
      name,
      postgresConnector({
        connection: env('LAKEKIT_PG_URL'),
        topicPrefix: suffix,
        tableIncludeList: [`public.${table}`],
        slotName: slot,
        publicationName: publication,
        publicationAutocreateMode: 'filtered',
        snapshotMode: 'initial',
        keyConverter: { type: 'json', schemas: false },
        valueConverter: { type: 'json', schemas: false },
      }),
    );
    await connect.waitForConnectorRunning(name, { timeoutMs: 90_000 });
    await waitForTopic(kafka, topic, { timeoutMs: 60_000 });
    await collect<Event>(kafka, topic, SEED_ROWS, { decode: decodeDebeziumEvent, timeoutMs: 60_000 });

    // One row per autocommitted INSERT, so every row is its own transaction and its own LSN.
    let nextId = 1000;
    let inserting = true;
    const inserted: number[] = [];
    const loop = (async () => {
      while (inserting) {
        const id = nextId++;
        await db.query(`INSERT INTO ${table} VALUES ($1, $2, $3)`, [id, `row ${id}`, `${id}@example.com`]);
        inserted.push(id);
        await new Promise((res) => setTimeout(res, INSERT_EVERY_MS));
      }
    })();
    const waitForInserted = async (n: number) => {
      while (inserted.length < n) await new Promise((res) => setTimeout(res, 50));
    };

    try {
      await waitForInserted(150);
      // Some of the stream must have reached Kafka before the crash, or it is not "mid-stream".
      const beforeKill = (await endOffsets(kafka, topic)).reduce((n, p) => n + Number(p.high), 0);
      expect(beforeKill).toBeGreaterThan(SEED_ROWS);

      const killed = await killService('connect', { signal: 'SIGKILL' });
      killedWorker = true;
      const insertedAtKill = inserted.length;
      // Nothing can write to the topic now: what lies beyond this offset was produced after the restart.
      const atKill = (await endOffsets(kafka, topic)).reduce((n, p) => n + Number(p.high), 0);
      // The worker is really gone: a call without retries cannot even connect.
      const down = await probe.serverInfo().catch((e: unknown) => e);
      expect(down).toBeInstanceOf(ConnectError);
      expect((down as ConnectError).kind).toBe('network');

      // Ask for RUNNING while the worker is still down: the core retries refused connections.
      const waitStarted = Date.now();
      const running = connect.waitForConnectorRunning(name, { timeoutMs: 180_000, failedGraceMs: 30_000 });
      // Rows keep arriving in PostgreSQL during the outage; the slot holds them for the connector.
      await new Promise((res) => setTimeout(res, 3_000));
      const restarted = await startService('connect');
      const restUpAt = Date.now();
      expect(restarted.restarted).toBe(true);
      expect(restarted.pid).not.toBe(killed.pid);
      const status = await running;
      const runningAt = Date.now();
      expect(status.tasks.map((t) => t.state)).toEqual(['RUNNING']);
      const insertedDuringOutage = inserted.length - insertedAtKill;
      // RUNNING may be the status replayed from the status topic; new records prove the task streams.
      const flowUntil = Date.now() + 120_000;
      while ((await endOffsets(kafka, topic)).reduce((n, p) => n + Number(p.high), 0) <= atKill) {
        if (Date.now() > flowUntil) throw new Error(`no new record on ${topic} within 120 s of the restart`);
        await new Promise((res) => setTimeout(res, 100));
      }
      const flowingAt = Date.now();

      // Keep inserting after the restart, then measure when the stream is flowing again.
      const marker = inserted.length + 150;
      await waitForInserted(marker);
      inserting = false;
      await loop;

      const expected = new Set<number>([...Array.from({ length: SEED_ROWS }, (_, i) => i + 1), ...inserted]);
      const seen = new Map<number, number>();
      const missing = new Set(expected);
      const t0 = Date.now();
      const events = await consumeUntil<Event>(
        kafka,
        topic,
        (e) => {
          if (e.kind !== 'change' || !e.after) return false;
          const id = e.after.id;
          seen.set(id, (seen.get(id) ?? 0) + 1);
          missing.delete(id);
          return missing.size === 0;
        },
        { decode: decodeDebeziumEvent, timeoutMs: 120_000 },
      ).catch((e: unknown) => {
        throw new Error(
          `${missing.size} of ${expected.size} rows never reached ${topic} (first: ${[...missing].slice(0, 10).join(', ')}): ${(e as Error).message}`,
        );
      });
      const catchUpMs = Date.now() - t0;

      expect([...seen.keys()].filter((id) => !expected.has(id))).toEqual([]);
      expect(expected.size).toBe(SEED_ROWS + inserted.length);
      const duplicated = [...seen.entries()].filter(([, n]) => n > 1);
      const extraEvents = duplicated.reduce((n, [, c]) => n + c - 1, 0);
      const changeEvents = events.filter((e) => e.kind === 'change').length;
      console.log(
        [
          `worker crash: SIGKILL pid ${killed.pid} after ${insertedAtKill} streamed inserts (${beforeKill} records on the topic)`,
          `  outage (kill → REST ready via startService): ${((restUpAt - killed.goneAt) / 1000).toFixed(1)} s; worker launch → ready ${restarted.readySeconds.toFixed(1)} s`,
          `  waitForConnectorRunning issued during the outage resolved after ${((runningAt - waitStarted) / 1000).toFixed(1)} s (${((runningAt - killed.goneAt) / 1000).toFixed(1)} s after the kill)`,
          `  first record written by the restarted worker: ${((flowingAt - killed.goneAt) / 1000).toFixed(1)} s after the kill`,
          `  HTTP core retries seen: ${retries.length} (${summarise(retries)})`,
          `  rows: ${expected.size} expected (${insertedDuringOutage} inserted while the worker was down), all seen; ${changeEvents} change events read in ${catchUpMs} ms`,
          `  duplicates: ${duplicated.length} rows delivered more than once, ${extraEvents} extra events (at-least-once replay after the crash)`,
        ].join('\n'),
      );
    } finally {
      inserting = false;
      await loop.catch(() => undefined);
    }
  });
});

function summarise(items: string[]): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${k} ×${n}`).join(', ') || 'none';
}
