/**
 * Per-test isolation on one shared stack: a unique id (`lk_<name>_<worker>_<time>_<random>`) that
 * names a Postgres schema and a MariaDB database (created eagerly, both cheap), and serves as the
 * prefix for Kafka topics and consumer groups, the Iceberg namespace, S3 keys, registry subjects,
 * connectors and Postgres replication slots / publications. `dispose()` removes everything that
 * carries the id, so parallel vitest workers and repeated runs never see each other's data.
 */

import type { StackEndpoints } from './endpoints.js';
import { StackError } from './errors.js';

export interface Isolation {
  /** The unique id; valid as a SQL identifier, Kafka topic, namespace and S3 key segment. */
  readonly id: string;
  readonly postgres?: { schema: string; slotPrefix: string; publicationPrefix: string; url: string };
  readonly mariadb?: { database: string; url: string };
  readonly kafka?: { topicPrefix: string; groupId: string };
  readonly iceberg?: { namespace: string };
  readonly s3?: { bucket: string; prefix: string };
  readonly registry?: { subjectPrefix: string };
  readonly connect?: { connectorPrefix: string };
  /** A name under this isolation: `${id}_${suffix}`. */
  name(suffix: string): string;
  /** Removes everything created under the id; safe to call twice. */
  dispose(): Promise<void>;
}

/**
 * The isolation id for a test name: lowercase `[a-z0-9_]`, at most 48 characters (Postgres allows
 * 63 and MariaDB 64; suffixes need room), starting with `lk_` (MariaDB grants cover `lk\_%`).
 */
export function isolationId(
  name: string,
  worker = process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? '0',
  now = Date.now(),
  rand = Math.random(),
): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 20) || 'test';
  const w = worker.replace(/[^a-z0-9]/gi, '').slice(0, 4) || '0';
  const r = Math.floor(rand * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return `lk_${slug}_w${w}_${now.toString(36)}_${r}`;
}

export async function createIsolation(endpoints: StackEndpoints, name: string): Promise<Isolation> {
  const id = isolationId(name);
  const iso: {
    -readonly [K in keyof Isolation]: Isolation[K];
  } = {
    id,
    name: (suffix: string) => `${id}_${suffix}`,
    dispose: async () => {},
  };
  if (endpoints.postgres) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: endpoints.postgres.url });
    await c.connect();
    try {
      await c.query(`CREATE SCHEMA "${id}"`);
    } finally {
      await c.end();
    }
    const url = new URL(endpoints.postgres.url);
    url.searchParams.set('options', `-c search_path=${id}`);
    iso.postgres = { schema: id, slotPrefix: id, publicationPrefix: id, url: url.toString() };
  }
  if (endpoints.mariadb) {
    const mysql = await import('mysql2/promise');
    const c = await mysql.createConnection(endpoints.mariadb.url);
    try {
      await c.query(`CREATE DATABASE \`${id}\``);
    } finally {
      await c.end();
    }
    const url = new URL(endpoints.mariadb.url);
    url.pathname = `/${id}`;
    iso.mariadb = { database: id, url: url.toString() };
  }
  if (endpoints.kafka) iso.kafka = { topicPrefix: `${id}.`, groupId: `${id}_group` };
  if (endpoints.iceberg) iso.iceberg = { namespace: id };
  if (endpoints.s3) iso.s3 = { bucket: endpoints.s3.bucket, prefix: `${id}/` };
  if (endpoints.registry) iso.registry = { subjectPrefix: `${id}.` };
  if (endpoints.connect) iso.connect = { connectorPrefix: `${id}_` };
  let disposed: Promise<void> | undefined;
  iso.dispose = () => {
    disposed ??= disposeAll(endpoints, id);
    return disposed;
  };
  return iso;
}

async function disposeAll(e: StackEndpoints, id: string): Promise<void> {
  const failures: string[] = [];
  const step = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      failures.push(`${what}: ${(err as Error).message}`);
    }
  };
  // Connectors first: they hold replication slots and consume topics.
  if (e.connect) {
    const url = e.connect.url;
    await step('connect', async () => {
      const names = (await (await fetch(`${url}/connectors`)).json()) as string[];
      for (const n of names.filter((n) => n.startsWith(`${id}_`)))
        await fetch(`${url}/connectors/${encodeURIComponent(n)}`, { method: 'DELETE' });
    });
  }
  if (e.postgres) {
    const url = e.postgres.url;
    await step('postgres', async () => {
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        // A deleted connector keeps its slot, which pins WAL forever: drop the inactive ones.
        for (let i = 0; i < 20; i++) {
          const busy = await c.query(
            "SELECT slot_name, active FROM pg_replication_slots WHERE slot_name LIKE $1 || '%'",
            [id],
          );
          for (const r of busy.rows.filter((r) => !r.active))
            await c.query('SELECT pg_drop_replication_slot($1)', [r.slot_name]);
          if (!busy.rows.some((r) => r.active)) break;
          await new Promise((res) => setTimeout(res, 500));
        }
        const pubs = await c.query("SELECT pubname FROM pg_publication WHERE pubname LIKE $1 || '%'", [id]);
        for (const r of pubs.rows) await c.query(`DROP PUBLICATION IF EXISTS "${r.pubname}"`);
        await c.query(`DROP SCHEMA IF EXISTS "${id}" CASCADE`);
      } finally {
        await c.end();
      }
    });
  }
  if (e.mariadb) {
    const url = e.mariadb.url;
    await step('mariadb', async () => {
      const mysql = await import('mysql2/promise');
      const c = await mysql.createConnection(url);
      try {
        await c.query(`DROP DATABASE IF EXISTS \`${id}\``);
      } finally {
        await c.end();
      }
    });
  }
  if (e.kafka) {
    const brokers = e.kafka.brokers;
    await step('kafka', async () => {
      const { Kafka, logLevel } = await import('kafkajs');
      const admin = new Kafka({ clientId: 'lakekit-isolate', brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const topics = (await admin.listTopics()).filter((t) => t.startsWith(id));
        if (topics.length > 0) await admin.deleteTopics({ topics });
        const groups = (await admin.listGroups()).groups
          .map((g) => g.groupId)
          .filter((g) => g.startsWith(id));
        if (groups.length > 0) await admin.deleteGroups(groups).catch(() => {});
      } finally {
        await admin.disconnect();
      }
    });
  }
  if (e.iceberg) {
    const base = e.iceberg.url;
    await step('iceberg', async () => {
      const ns = encodeURIComponent(id);
      const res = await fetch(`${base}/v1/namespaces/${ns}/tables`);
      if (res.status === 404) return;
      const { identifiers = [] } = (await res.json()) as { identifiers?: { name: string }[] };
      for (const t of identifiers)
        await fetch(`${base}/v1/namespaces/${ns}/tables/${encodeURIComponent(t.name)}?purgeRequested=true`, {
          method: 'DELETE',
        });
      const views = await fetch(`${base}/v1/namespaces/${ns}/views`);
      if (views.ok) {
        const { identifiers: vs = [] } = (await views.json()) as { identifiers?: { name: string }[] };
        for (const v of vs)
          await fetch(`${base}/v1/namespaces/${ns}/views/${encodeURIComponent(v.name)}`, {
            method: 'DELETE',
          });
      }
      await fetch(`${base}/v1/namespaces/${ns}`, { method: 'DELETE' });
    });
  }
  if (e.s3) {
    const s3e = e.s3;
    await step('s3', async () => {
      const { S3Client, ListObjectsV2Command, DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
      const client = new S3Client({
        endpoint: s3e.endpoint,
        region: s3e.region,
        forcePathStyle: true,
        credentials: { accessKeyId: s3e.accessKeyId, secretAccessKey: s3e.secretAccessKey },
      });
      try {
        let token: string | undefined;
        do {
          const page = await client.send(
            new ListObjectsV2Command({ Bucket: s3e.bucket, Prefix: `${id}/`, ContinuationToken: token }),
          );
          const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
          if (keys.length > 0)
            await client.send(new DeleteObjectsCommand({ Bucket: s3e.bucket, Delete: { Objects: keys } }));
          token = page.NextContinuationToken;
        } while (token);
      } finally {
        client.destroy();
      }
    });
  }
  if (e.registry) {
    const url = e.registry.url;
    await step('registry', async () => {
      const subjects = (await (await fetch(`${url}/subjects`)).json()) as string[];
      for (const s of subjects.filter((s) => s.startsWith(id))) {
        const enc = encodeURIComponent(s);
        // Apicurio, like Confluent, wants a soft delete before the permanent one.
        await fetch(`${url}/subjects/${enc}`, { method: 'DELETE' });
        await fetch(`${url}/subjects/${enc}?permanent=true`, { method: 'DELETE' });
      }
    });
  }
  if (failures.length > 0)
    throw new StackError({
      service: 'stack',
      message: `dispose of ${id} left resources behind:\n${failures.join('\n')}`,
    });
}
