/**
 * Typed endpoints of a running stack and their one serialised form, the `.stack/env` file whose
 * `LAKEKIT_*` variable names are the contract with the tests (test/support/live.ts) and the CLI.
 * Endpoints are plain data (JSON-safe) so vitest can `provide` them to workers.
 */
import type { Ports, ServiceName } from './catalog.js';
import { CREDENTIALS, DEBEZIUM_PLUGINS } from './services.js';

export interface S3Endpoint {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** General test bucket. */
  bucket: string;
  /** Path-style addressing is required (no virtual-host DNS on loopback). */
  forcePathStyle: true;
}

export interface IcebergEndpoint {
  /** Catalog base URL (the REST paths start with `/v1/`). */
  url: string;
  warehouse: string;
  /** What a client's FileIO needs to read and write the warehouse bucket. */
  s3: S3Endpoint;
}

export interface RegistryEndpoint {
  /** Confluent-compatible base URL (Apicurio's ccompat API). */
  url: string;
}

export interface KafkaEndpoint {
  brokers: string[];
}

export interface ConnectEndpoint {
  url: string;
  /** Connector classes the worker has loaded. */
  plugins: string[];
}

export interface SqlEndpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** `postgres://…` or `mysql://…` connection string with credentials. */
  url: string;
}

export interface AlertmanagerEndpoint {
  url: string;
  /** Port the webhook receivers post to: the test's sink listens here. */
  webhookSinkPort: number;
  webhookSinkUrl: string;
}

export interface PythonEndpoint {
  /** The virtualenv's python with pyiceberg, deltalake, confluent-kafka, pyarrow. */
  python: string;
}

export interface StackEndpoints {
  s3?: S3Endpoint;
  iceberg?: IcebergEndpoint;
  registry?: RegistryEndpoint;
  kafka?: KafkaEndpoint;
  connect?: ConnectEndpoint;
  postgres?: SqlEndpoint;
  mariadb?: SqlEndpoint;
  alertmanager?: AlertmanagerEndpoint;
  python?: PythonEndpoint;
}

function s3Endpoint(ports: Ports): S3Endpoint {
  return {
    endpoint: `http://127.0.0.1:${ports.s3}`,
    accessKeyId: CREDENTIALS.s3AccessKey,
    secretAccessKey: CREDENTIALS.s3SecretKey,
    region: CREDENTIALS.s3Region,
    bucket: CREDENTIALS.s3Bucket,
    forcePathStyle: true,
  };
}

function sql(scheme: 'postgres' | 'mysql', port: number): SqlEndpoint {
  const { sqlUser: user, sqlPassword: password, sqlDatabase: database } = CREDENTIALS;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    url: `${scheme}://${user}:${password}@127.0.0.1:${port}/${database}`,
  };
}

/** Endpoints of the given running services. */
export function endpointsFor(
  services: readonly ServiceName[],
  ports: Ports,
  python?: string,
): StackEndpoints {
  const has = (s: ServiceName) => services.includes(s);
  const out: StackEndpoints = {};
  if (has('s3')) out.s3 = s3Endpoint(ports);
  if (has('iceberg'))
    out.iceberg = {
      url: `http://127.0.0.1:${ports.iceberg}`,
      warehouse: `s3://${CREDENTIALS.warehouseBucket}/`,
      s3: s3Endpoint(ports),
    };
  if (has('registry')) out.registry = { url: `http://127.0.0.1:${ports.registry}/apis/ccompat/v7` };
  if (has('kafka')) out.kafka = { brokers: [`127.0.0.1:${ports.kafka}`] };
  if (has('connect'))
    out.connect = { url: `http://127.0.0.1:${ports.connect}`, plugins: [...DEBEZIUM_PLUGINS] };
  if (has('postgres')) out.postgres = sql('postgres', ports.postgres);
  if (has('mariadb')) out.mariadb = sql('mysql', ports.mariadb);
  if (has('alertmanager'))
    out.alertmanager = {
      url: `http://127.0.0.1:${ports.alertmanager}`,
      webhookSinkPort: ports.webhookSink,
      webhookSinkUrl: `http://127.0.0.1:${ports.webhookSink}`,
    };
  if ((has('python') || has('python-spark')) && python) out.python = { python };
  return out;
}

/** The `LAKEKIT_*` variables for these endpoints (names from test/support/live.ts). */
export function toEnv(e: StackEndpoints): Record<string, string> {
  const env: Record<string, string> = {};
  if (e.s3) {
    env.LAKEKIT_S3_ENDPOINT = e.s3.endpoint;
    env.LAKEKIT_S3_ACCESS_KEY = e.s3.accessKeyId;
    env.LAKEKIT_S3_SECRET_KEY = e.s3.secretAccessKey;
    env.LAKEKIT_S3_REGION = e.s3.region;
    env.LAKEKIT_S3_BUCKET = e.s3.bucket;
  }
  if (e.iceberg) {
    env.LAKEKIT_ICEBERG_URL = e.iceberg.url;
    env.LAKEKIT_ICEBERG_WAREHOUSE = e.iceberg.warehouse;
  }
  if (e.registry) env.LAKEKIT_REGISTRY_URL = e.registry.url;
  if (e.kafka) env.LAKEKIT_KAFKA_BROKERS = e.kafka.brokers.join(',');
  if (e.connect) env.LAKEKIT_CONNECT_URL = e.connect.url;
  if (e.postgres) env.LAKEKIT_PG_URL = e.postgres.url;
  if (e.mariadb) env.LAKEKIT_MYSQL_URL = e.mariadb.url;
  if (e.alertmanager) {
    env.LAKEKIT_ALERTMANAGER_URL = e.alertmanager.url;
    env.LAKEKIT_WEBHOOK_SINK_PORT = String(e.alertmanager.webhookSinkPort);
  }
  if (e.python) env.LAKEKIT_PYTHON = e.python.python;
  return env;
}

function parseSql(url: string | undefined): SqlEndpoint | undefined {
  if (!url) return undefined;
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.replace(/^\//, ''),
    url,
  };
}

/** Inverse of `toEnv`: endpoints from `LAKEKIT_*` variables (missing groups are left out). */
export function fromEnv(env: Record<string, string | undefined>): StackEndpoints {
  const out: StackEndpoints = {};
  if (env.LAKEKIT_S3_ENDPOINT && env.LAKEKIT_S3_ACCESS_KEY && env.LAKEKIT_S3_SECRET_KEY)
    out.s3 = {
      endpoint: env.LAKEKIT_S3_ENDPOINT,
      accessKeyId: env.LAKEKIT_S3_ACCESS_KEY,
      secretAccessKey: env.LAKEKIT_S3_SECRET_KEY,
      region: env.LAKEKIT_S3_REGION ?? CREDENTIALS.s3Region,
      bucket: env.LAKEKIT_S3_BUCKET ?? CREDENTIALS.s3Bucket,
      forcePathStyle: true,
    };
  if (env.LAKEKIT_ICEBERG_URL && out.s3)
    out.iceberg = {
      url: env.LAKEKIT_ICEBERG_URL,
      warehouse: env.LAKEKIT_ICEBERG_WAREHOUSE ?? 's3://warehouse/',
      s3: out.s3,
    };
  if (env.LAKEKIT_REGISTRY_URL) out.registry = { url: env.LAKEKIT_REGISTRY_URL };
  if (env.LAKEKIT_KAFKA_BROKERS)
    out.kafka = { brokers: env.LAKEKIT_KAFKA_BROKERS.split(',').filter(Boolean) };
  if (env.LAKEKIT_CONNECT_URL) out.connect = { url: env.LAKEKIT_CONNECT_URL, plugins: [...DEBEZIUM_PLUGINS] };
  const pg = parseSql(env.LAKEKIT_PG_URL);
  if (pg) out.postgres = pg;
  const my = parseSql(env.LAKEKIT_MYSQL_URL);
  if (my) out.mariadb = my;
  if (env.LAKEKIT_ALERTMANAGER_URL && env.LAKEKIT_WEBHOOK_SINK_PORT) {
    const port = Number(env.LAKEKIT_WEBHOOK_SINK_PORT);
    out.alertmanager = {
      url: env.LAKEKIT_ALERTMANAGER_URL,
      webhookSinkPort: port,
      webhookSinkUrl: `http://127.0.0.1:${port}`,
    };
  }
  if (env.LAKEKIT_PYTHON) out.python = { python: env.LAKEKIT_PYTHON };
  return out;
}

/** The env file text: a header, then `KEY=value` lines in a stable order. */
export function formatEnvFile(env: Record<string, string>): string {
  const lines = Object.keys(env)
    .sort()
    .map((k) => `${k}=${env[k]}`);
  return `# Written by lakekit stack (npm run stack:up); do not edit. Source it or let tests read it.\n${lines.join('\n')}\n`;
}

/** Parses `KEY=value` lines (optional `export`, quotes, comments), as test/support/live.ts does. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m?.[1]) continue;
    out[m[1]] = (m[2] ?? '').trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}
