import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tableFromArrays } from 'apache-arrow';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { appendToDelta } from '../../src/delta/write/append.js';
import { createS3Store } from '../../src/storage/index.js';
import { describeLive, env, liveS3, ROOT, uniqueName } from '../support/live.js';

const run = promisify(execFile);
const cli = (args: string[]) =>
  run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'src/cli/main.ts'), '--json', ...args], {
    cwd: ROOT,
  }).then(
    (r) => ({ code: 0, out: JSON.parse(r.stdout), stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      out: e.stdout ? JSON.parse(e.stdout) : e.stderr,
      stderr: e.stderr,
    }),
  );

describeLive(['postgres', 's3'], 'lakekit counts (Postgres → Delta on S3)', () => {
  const table = uniqueName('counts');
  const prefix = `tests/${table}`;
  const client = new pg.Client({ connectionString: env('LAKEKIT_PG_URL') });
  const store = createS3Store({
    bucket: env('LAKEKIT_S3_BUCKET'),
    prefix,
    ...liveS3(),
  });
  const pgUrl = () => {
    const u = new URL(env('LAKEKIT_PG_URL'));
    u.pathname = `${u.pathname}.public.${table}`;
    return u.toString();
  };
  const target = () => `delta://s3://${env('LAKEKIT_S3_BUCKET')}/${prefix}`;

  beforeAll(async () => {
    await client.connect();
    await client.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, name text, amount numeric(10,2))`);
    await client.query(`INSERT INTO ${table} SELECT g, 'n' || g, g * 1.5 FROM generate_series(1, 500) g`);
    const ids = Array.from({ length: 500 }, (_, i) => BigInt(i + 1));
    await appendToDelta(
      store,
      tableFromArrays({
        id: BigInt64Array.from(ids),
        name: ids.map((i) => `n${i}`),
        amount: Float64Array.from(ids.map((i) => Number(i) * 1.5)),
      }),
    );
  });
  afterAll(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
    for await (const o of store.list('')) await store.delete(o.key);
  });

  it('passes when counts and content agree, exit 0', async () => {
    const r = await cli([
      'counts',
      '--source',
      pgUrl(),
      '--target',
      target(),
      '--checksum',
      'id,name,amount',
    ]);
    expect(r.code).toBe(0);
    expect(r.out.ok).toBe(true);
    expect(r.out.source.count).toBe(500);
    expect(r.out.target.count).toBe(500);
    expect(r.out.source.checksum).toBe(r.out.target.checksum);
  });

  it('fails with exit 1 and the difference when the source changes', async () => {
    await client.query(`UPDATE ${table} SET name = 'changed' WHERE id = 7`);
    const sameCount = await cli([
      'counts',
      '--source',
      pgUrl(),
      '--target',
      target(),
      '--checksum',
      'id,name',
    ]);
    expect(sameCount.code).toBe(1);
    expect(sameCount.out.ok).toBe(false);
    expect(sameCount.out.difference).toBe(0);
    await client.query(`DELETE FROM ${table} WHERE id > 490`);
    const fewer = await cli(['counts', '--source', pgUrl(), '--target', target()]);
    expect(fewer.code).toBe(1);
    expect(fewer.out.difference).toBe(10);
  });

  it('exits 2 with a clear message when the source is unreachable, without the password', async () => {
    const bad = new URL(pgUrl());
    bad.port = '1';
    const r = await cli(['counts', '--source', bad.toString(), '--target', target()]);
    expect(r.code).toBe(2);
    expect(String(r.out)).toMatch(/cannot connect to postgres:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:1\//);
    const password = new URL(env('LAKEKIT_PG_URL')).password;
    expect(String(r.out)).not.toContain(`:${password}@`);
    expect(r.stderr).not.toContain(`:${password}@`);
  });
});
