/**
 * Gate for live tests (DESIGN.md §6). Endpoints come from `LAKEKIT_*` environment variables, or
 * from the `.stack/env` file that `npm run stack:up` writes (variables win). A live suite declares
 * the services it needs with `describeLive([...])`:
 *   - under CI (`CI=true`) or with `LAKEKIT_LIVE=1`, a missing service FAILS the suite;
 *   - otherwise the suite is skipped with a message naming the missing services.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { parseEnvFile } from '../../src/stack/endpoints.js';

export const ROOT = join(import.meta.dirname, '..', '..');

/** Variables each service needs; the names are the contract between `stack/` and the tests. */
export const SERVICE_VARS = {
  s3: [
    'LAKEKIT_S3_ENDPOINT',
    'LAKEKIT_S3_ACCESS_KEY',
    'LAKEKIT_S3_SECRET_KEY',
    'LAKEKIT_S3_REGION',
    'LAKEKIT_S3_BUCKET',
  ],
  iceberg: ['LAKEKIT_ICEBERG_URL', 'LAKEKIT_ICEBERG_WAREHOUSE'],
  registry: ['LAKEKIT_REGISTRY_URL'],
  kafka: ['LAKEKIT_KAFKA_BROKERS'],
  connect: ['LAKEKIT_CONNECT_URL'],
  postgres: ['LAKEKIT_PG_URL'],
  mariadb: ['LAKEKIT_MYSQL_URL'],
  alertmanager: ['LAKEKIT_ALERTMANAGER_URL', 'LAKEKIT_WEBHOOK_SINK_PORT'],
  python: ['LAKEKIT_PYTHON'],
} as const;
export type LiveService = keyof typeof SERVICE_VARS;

function readStackEnv(): Record<string, string> {
  const file = process.env.LAKEKIT_STACK_ENV ?? join(ROOT, '.stack', 'env');
  return existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
}

/** Merged live environment: `.stack/env` overlaid by process variables. */
export const liveEnv: Record<string, string> = (() => {
  const merged: Record<string, string> = { ...readStackEnv() };
  for (const [k, v] of Object.entries(process.env))
    if (k.startsWith('LAKEKIT_') && v !== undefined) merged[k] = v;
  return merged;
})();

/** Reads a variable that `describeLive` has already checked; throws if absent. */
export function env(name: string): string {
  const v = liveEnv[name];
  if (v === undefined || v === '')
    throw new Error(`live test needs ${name} (start the stack: npm run stack:up)`);
  return v;
}

export const liveRequired = process.env.CI === 'true' || process.env.LAKEKIT_LIVE === '1';

export function missingServices(services: readonly LiveService[]): LiveService[] {
  return services.filter((s) => SERVICE_VARS[s].some((v) => !liveEnv[v]));
}

/**
 * `describe` for live suites. When services are missing: fails under CI / LAKEKIT_LIVE=1, else
 * skips, naming what is missing and how to start it.
 */
export function describeLive(services: readonly LiveService[], name: string, fn: () => void): void {
  const missing = missingServices(services);
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const why = `needs ${missing.join(', ')} (variables ${missing.flatMap((s) => SERVICE_VARS[s as LiveService]).join(', ')}); start it with \`npm run stack:up\``;
  if (liveRequired) {
    describe(name, () => {
      it('has its live services', () => {
        throw new Error(`live suite "${name}" ${why}`);
      });
    });
  } else {
    console.warn(`skipping live suite "${name}": ${why}`);
    describe.skip(name, fn);
  }
}

/** The live stack's S3 settings, as lakekit's stores, table layers and the AWS SDK client take them. */
export function liveS3(): {
  endpoint: string;
  region: string;
  forcePathStyle: true;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return {
    endpoint: env('LAKEKIT_S3_ENDPOINT'),
    region: env('LAKEKIT_S3_REGION'),
    forcePathStyle: true,
    credentials: { accessKeyId: env('LAKEKIT_S3_ACCESS_KEY'), secretAccessKey: env('LAKEKIT_S3_SECRET_KEY') },
  };
}

/** A short unique suffix for resource names, so parallel and repeated runs never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
}
