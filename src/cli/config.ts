/**
 * Where the CLI finds its services: `--env-file` (default `.stack/env` in the working directory,
 * written by `npm run stack:up`), overlaid by `LAKEKIT_*` environment variables, overlaid by flags.
 * Values are parsed into typed endpoints; secrets stay in memory and are never printed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createIcebergCatalog, type IcebergRestCatalog } from '../iceberg/index.js';
import { parseEnvFile } from '../stack/endpoints.js';
import { UsageError } from './output.js';

export interface Endpoints {
  s3?: { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string; bucket: string };
  iceberg?: { url: string; warehouse: string };
  registry?: { url: string };
  kafka?: { brokers: string[] };
  connect?: { url: string };
  postgres?: { url: string };
  mariadb?: { url: string };
  alertmanager?: { url: string; webhookSinkPort?: number };
  python?: string;
}

// One parser for the env file, the stack's own (it writes the file).
export { parseEnvFile } from '../stack/endpoints.js';

/** Merged variables: env file, then process environment (`LAKEKIT_*` only). */
export function loadVariables(
  envFile = '.stack/env',
  environment: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const file = resolve(envFile);
  const merged = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  for (const [k, v] of Object.entries(environment)) if (k.startsWith('LAKEKIT_') && v) merged[k] = v;
  return merged;
}

export function endpointsFrom(v: Record<string, string>): Endpoints {
  const e: Endpoints = {};
  if (v.LAKEKIT_S3_ENDPOINT) {
    e.s3 = {
      endpoint: v.LAKEKIT_S3_ENDPOINT,
      accessKeyId: v.LAKEKIT_S3_ACCESS_KEY ?? '',
      secretAccessKey: v.LAKEKIT_S3_SECRET_KEY ?? '',
      region: v.LAKEKIT_S3_REGION ?? 'us-east-1',
      bucket: v.LAKEKIT_S3_BUCKET ?? 'lakekit',
    };
  }
  if (v.LAKEKIT_ICEBERG_URL) {
    e.iceberg = { url: v.LAKEKIT_ICEBERG_URL, warehouse: v.LAKEKIT_ICEBERG_WAREHOUSE ?? 's3://warehouse/' };
  }
  if (v.LAKEKIT_REGISTRY_URL) e.registry = { url: v.LAKEKIT_REGISTRY_URL };
  if (v.LAKEKIT_KAFKA_BROKERS) e.kafka = { brokers: v.LAKEKIT_KAFKA_BROKERS.split(',').map((b) => b.trim()) };
  if (v.LAKEKIT_CONNECT_URL) e.connect = { url: v.LAKEKIT_CONNECT_URL };
  if (v.LAKEKIT_PG_URL) e.postgres = { url: v.LAKEKIT_PG_URL };
  if (v.LAKEKIT_MYSQL_URL) e.mariadb = { url: v.LAKEKIT_MYSQL_URL };
  if (v.LAKEKIT_ALERTMANAGER_URL) {
    e.alertmanager = {
      url: v.LAKEKIT_ALERTMANAGER_URL,
      ...(v.LAKEKIT_WEBHOOK_SINK_PORT ? { webhookSinkPort: Number(v.LAKEKIT_WEBHOOK_SINK_PORT) } : {}),
    };
  }
  if (v.LAKEKIT_PYTHON) e.python = v.LAKEKIT_PYTHON;
  return e;
}

/** S3 connection settings for lakekit's object stores and table layers, from the stack's S3 endpoint. */
export function s3Settings(e: Endpoints):
  | {
      endpoint: string;
      region: string;
      forcePathStyle: true;
      credentials: { accessKeyId: string; secretAccessKey: string };
    }
  | undefined {
  return e.s3
    ? {
        endpoint: e.s3.endpoint,
        region: e.s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: e.s3.accessKeyId, secretAccessKey: e.s3.secretAccessKey },
      }
    : undefined;
}

/** The catalog and table identifier that `iceberg://namespace.table` names (namespaces may nest: `a.b.t`). */
export function icebergTableRef(
  identifier: string,
  e: Endpoints,
): { catalog: IcebergRestCatalog; ident: { namespace: string[]; name: string } } {
  const ice = e.iceberg;
  if (!ice)
    throw new UsageError('iceberg:// needs the catalog URL (LAKEKIT_ICEBERG_URL or the stack env file)');
  const dot = identifier.lastIndexOf('.');
  if (dot <= 0) throw new UsageError(`iceberg://${identifier}: expected namespace.table`);
  return {
    catalog: createIcebergCatalog({ baseUrl: ice.url, warehouse: ice.warehouse }),
    ident: { namespace: identifier.slice(0, dot).split('.'), name: identifier.slice(dot + 1) },
  };
}
