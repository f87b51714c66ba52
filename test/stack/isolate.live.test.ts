/**
 * `isolate()` on the running stack: two isolations made at once get disjoint resources, and
 * `dispose()` removes what was created under each id (schema, database, topics, S3 keys, subjects,
 * Iceberg namespace) while the other one's survive.
 */
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { expect, it } from 'vitest';
import { createIsolation, fromEnv, type Isolation } from '../../src/stack/index.js';
import { describeLive, liveEnv } from '../support/live.js';

const SERVICES = ['s3', 'iceberg', 'registry', 'kafka', 'postgres', 'mariadb'] as const;

describeLive(SERVICES, 'stack isolate', () => {
  it('gives parallel tests disjoint resources and disposes only its own', async () => {
    const e = fromEnv(liveEnv);
    const [a, b] = await Promise.all([createIsolation(e, 'iso test'), createIsolation(e, 'iso test')]);
    expect(a.id).not.toBe(b.id);
    try {
      await populate(a);
      await populate(b);
      await a.dispose();
      expect(await exists(a)).toEqual({
        schema: false,
        database: false,
        topic: false,
        object: false,
        subject: false,
        namespace: false,
      });
      expect(await exists(b)).toEqual({
        schema: true,
        database: true,
        topic: true,
        object: true,
        subject: true,
        namespace: true,
      });
    } finally {
      await a.dispose();
      await b.dispose();
    }
    expect(Object.values(await exists(b)).some(Boolean)).toBe(false);
  });
});

function s3(): S3Client {
  const e = fromEnv(liveEnv).s3!;
  return new S3Client({
    endpoint: e.endpoint,
    region: e.region,
    forcePathStyle: true,
    credentials: { accessKeyId: e.accessKeyId, secretAccessKey: e.secretAccessKey },
  });
}
function kafka() {
  return new Kafka({
    clientId: 'iso-test',
    brokers: fromEnv(liveEnv).kafka!.brokers,
    logLevel: logLevel.NOTHING,
  });
}

async function populate(iso: Isolation): Promise<void> {
  const e = fromEnv(liveEnv);
  const c = new pg.Client({ connectionString: iso.postgres!.url });
  await c.connect();
  await c.query('CREATE TABLE t (id int)');
  await c.end();
  const m = await mysql.createConnection(iso.mariadb!.url);
  await m.query('CREATE TABLE t (id int)');
  await m.end();
  const admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: `${iso.kafka!.topicPrefix}events` }] });
  await admin.disconnect();
  const client = s3();
  await client.send(new PutObjectCommand({ Bucket: iso.s3!.bucket, Key: `${iso.s3!.prefix}x`, Body: 'x' }));
  client.destroy();
  const schema = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] });
  const reg = await fetch(`${e.registry!.url}/subjects/${iso.registry!.subjectPrefix}value/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema }),
  });
  expect(reg.status).toBe(200);
  const ns = await fetch(`${e.iceberg!.url}/v1/namespaces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ namespace: [iso.iceberg!.namespace] }),
  });
  expect(ns.status).toBe(200);
}

async function exists(iso: Isolation) {
  const e = fromEnv(liveEnv);
  const c = new pg.Client({ connectionString: e.postgres!.url });
  await c.connect();
  const schema = (await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [iso.id])).rowCount === 1;
  await c.end();
  const m = await mysql.createConnection(e.mariadb!.url);
  const [rows] = await m.query('SHOW DATABASES LIKE ?', [iso.id]);
  await m.end();
  const admin = kafka().admin();
  await admin.connect();
  const topic = (await admin.listTopics()).includes(`${iso.kafka!.topicPrefix}events`);
  await admin.disconnect();
  const client = s3();
  const object = await client
    .send(new HeadObjectCommand({ Bucket: iso.s3!.bucket, Key: `${iso.s3!.prefix}x` }))
    .then(
      () => true,
      () => false,
    );
  client.destroy();
  const subjects = (await (await fetch(`${e.registry!.url}/subjects`)).json()) as string[];
  const ns = await fetch(`${e.iceberg!.url}/v1/namespaces/${iso.iceberg!.namespace}`);
  await ns.arrayBuffer();
  return {
    schema,
    database: (rows as unknown[]).length === 1,
    topic,
    object,
    subject: subjects.includes(`${iso.registry!.subjectPrefix}value`),
    namespace: ns.status === 200,
  };
}
