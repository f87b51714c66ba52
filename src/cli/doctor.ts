/**
 * `lakekit doctor`: one health probe per configured service, each through lakekit's own client for
 * that service (so a doctor that passes means the library can talk to the stack), with the server
 * version, the latency of the probe and, for the CDC sources, the settings Debezium depends on
 * (Postgres `wal_level=logical`, MariaDB `binlog_format=ROW`).
 */
import mysql from 'mysql2/promise';
import pg from 'pg';
import { createAlertmanagerClient } from '../alertmanager/index.js';
import { createConnectClient } from '../connect/index.js';
import { redactUrl } from '../http/redact.js';
import { createIcebergCatalog } from '../iceberg/index.js';
import { createKafka, withAdmin } from '../kafka/admin.js';
import { createSchemaRegistryClient } from '../registry/index.js';
import { createS3Store } from '../storage/index.js';
import type { Endpoints } from './config.js';

export interface ServiceHealth {
  service: string;
  url: string;
  ok: boolean;
  version?: string;
  latencyMs: number;
  detail: string;
}

type Probe = () => Promise<{ version?: string | undefined; detail: string; ok?: boolean }>;

const TIMEOUT_MS = 8000;

async function run(service: string, url: string, probe: Probe): Promise<ServiceHealth> {
  const t0 = performance.now();
  try {
    const r = await Promise.race([
      probe(),
      new Promise<never>((_, rej) =>
        setTimeout(() => rej(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref(),
      ),
    ]);
    return {
      service,
      url: redactUrl(url),
      ok: r.ok ?? true,
      ...(r.version ? { version: r.version } : {}),
      latencyMs: Math.round(performance.now() - t0),
      detail: r.detail,
    };
  } catch (e) {
    return {
      service,
      url: redactUrl(url),
      ok: false,
      latencyMs: Math.round(performance.now() - t0),
      detail: (e as Error)?.message ?? String(e),
    };
  }
}

const fast = { timeoutMs: 5000, retry: { maxAttempts: 1 } } as const;

export async function checkHealth(e: Endpoints): Promise<ServiceHealth[]> {
  const probes: Promise<ServiceHealth>[] = [];
  if (e.s3) {
    const s3 = e.s3;
    probes.push(
      run('s3', `${s3.endpoint}/${s3.bucket}`, async () => {
        const store = createS3Store({
          bucket: s3.bucket,
          endpoint: s3.endpoint,
          region: s3.region,
          forcePathStyle: true,
          credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        });
        let n = 0;
        for await (const _ of store.list('')) if (++n >= 1000) break;
        return { detail: `bucket ${s3.bucket} listed (${n >= 1000 ? '1000+' : n} objects)` };
      }),
    );
  }
  if (e.iceberg) {
    const ice = e.iceberg;
    probes.push(
      run('iceberg', ice.url, async () => {
        const catalog = createIcebergCatalog({ baseUrl: ice.url, warehouse: ice.warehouse, ...fast });
        const cfg = await catalog.config();
        const page = await catalog.listNamespaces();
        return {
          detail: `config ok${cfg.prefix ? ` (prefix ${cfg.prefix})` : ''}; ${page.namespaces.length} namespaces`,
        };
      }),
    );
  }
  if (e.registry) {
    const url = e.registry.url;
    probes.push(
      run('registry', url, async () => {
        const registry = createSchemaRegistryClient({ baseUrl: url, ...fast });
        const types = await registry.getSchemaTypes();
        const subjects = await registry.listSubjects();
        return { detail: `types ${types.join('/')}; ${subjects.length} subjects` };
      }),
    );
  }
  if (e.kafka) {
    const brokers = e.kafka.brokers;
    probes.push(
      run('kafka', brokers.join(','), async () => {
        const kafka = createKafka({ brokers, clientId: 'lakekit-doctor' });
        const cluster = await withAdmin(kafka, 'describe cluster', (a) => a.describeCluster());
        return {
          detail: `${cluster.brokers.length} broker(s), controller ${cluster.controller}, cluster ${cluster.clusterId}`,
        };
      }),
    );
  }
  if (e.connect) {
    const url = e.connect.url;
    probes.push(
      run('connect', url, async () => {
        const connect = createConnectClient({ baseUrl: url, ...fast });
        const info = await connect.serverInfo();
        const plugins = await connect.listConnectorPlugins({ connectorsOnly: true });
        const debezium = plugins
          .filter((p) => p.class.startsWith('io.debezium'))
          .map((p) => p.class.split('.').pop());
        return {
          version: info.version,
          detail: `${plugins.length} connector plugins; Debezium: ${debezium.join(', ') || 'none'}`,
          ok: debezium.length > 0,
        };
      }),
    );
  }
  if (e.postgres) {
    const url = e.postgres.url;
    probes.push(
      run('postgres', url, async () => {
        const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
        await client.connect();
        try {
          const v = await client.query<{ v: string; wal: string }>(
            "SELECT current_setting('server_version') AS v, current_setting('wal_level') AS wal",
          );
          const row = v.rows[0];
          return { version: row?.v, detail: `wal_level=${row?.wal}`, ok: row?.wal === 'logical' };
        } finally {
          await client.end();
        }
      }),
    );
  }
  if (e.mariadb) {
    const url = e.mariadb.url;
    probes.push(
      run('mariadb', url, async () => {
        const conn = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
        try {
          const [rows] = await conn.query('SELECT VERSION() AS v, @@binlog_format AS f, @@log_bin AS b');
          const row = (rows as { v: string; f: string; b: number }[])[0];
          return {
            version: row?.v,
            detail: `binlog_format=${row?.f} log_bin=${row?.b}`,
            ok: row?.f === 'ROW' && Number(row?.b) === 1,
          };
        } finally {
          await conn.end();
        }
      }),
    );
  }
  if (e.alertmanager) {
    const url = e.alertmanager.url;
    probes.push(
      run('alertmanager', url, async () => {
        const am = createAlertmanagerClient({ baseUrl: url, ...fast });
        const status = await am.getStatus();
        const receivers = await am.listReceivers();
        return {
          version: status.versionInfo.version,
          detail: `receivers ${receivers.map((r) => r.name).join(', ')}`,
        };
      }),
    );
  }
  return Promise.all(probes);
}
