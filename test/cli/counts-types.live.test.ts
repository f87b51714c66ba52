import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLive, env, ROOT, uniqueName } from '../support/live.js';

const run = promisify(execFile);
const cli = (args: string[]) =>
  run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'src/cli/main.ts'), '--json', ...args], {
    cwd: ROOT,
  }).then(
    (r) => ({ code: 0, out: JSON.parse(r.stdout) }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      out: e.stdout ? JSON.parse(e.stdout) : e.stderr,
    }),
  );

const ROWS = 300;
const COLUMNS = 'id,d,ts,tz,f,amount';

/**
 * The lakehouse side is written by delta-rs (an independent writer): date32, timestamp[us] without
 * and with a zone, float32 and decimal(10,2), every 7th tz null. Row i holds
 * d = 2024-01-01 + i days, ts = 2024-01-01 00:00 + i × 1,000,003 µs (so microseconds matter),
 * f = float32(i × 0.1), amount = i × 1.5.
 */
const WRITER = `
import sys, datetime, decimal
import pyarrow as pa
from deltalake import write_deltalake
n = int(sys.argv[2])
base = datetime.datetime(2024, 1, 1)
ts = [base + datetime.timedelta(microseconds=i * 1000003) for i in range(1, n + 1)]
schema = pa.schema([("id", pa.int64()), ("d", pa.date32()), ("ts", pa.timestamp("us")),
  ("tz", pa.timestamp("us", tz="UTC")), ("f", pa.float32()), ("amount", pa.decimal128(10, 2))])
write_deltalake(sys.argv[1], pa.table({
  "id": list(range(1, n + 1)),
  "d": [datetime.date(2024, 1, 1) + datetime.timedelta(days=i) for i in range(1, n + 1)],
  "ts": ts,
  "tz": [None if i % 7 == 0 else t.replace(tzinfo=datetime.timezone.utc) for i, t in zip(range(1, n + 1), ts)],
  "f": [i * 0.1 for i in range(1, n + 1)],
  "amount": [decimal.Decimal(i * 15) / 10 for i in range(1, n + 1)],
}, schema=schema))
sys.stdout.flush()
import os
os._exit(0)`;

describeLive(
  ['postgres', 'mariadb', 'python'],
  'lakekit counts --checksum over dates, timestamps, float32 and decimals (vs a delta-rs table)',
  () => {
    const table = uniqueName('ctypes');
    const dir = mkdtempSync(join(tmpdir(), 'lk-counts-types-'));
    const target = `delta://${dir}`;
    const pgClient = new pg.Client({ connectionString: env('LAKEKIT_PG_URL') });
    let my: mysql.Connection;
    const sourceUrl = (base: string, path: string) => {
      const u = new URL(base);
      u.pathname = `${u.pathname}${path}`;
      return u.toString();
    };
    const pgUrl = () => sourceUrl(env('LAKEKIT_PG_URL'), `.public.${table}`);
    const myUrl = () => sourceUrl(env('LAKEKIT_MYSQL_URL'), `.${table}`);

    beforeAll(async () => {
      execFileSync(env('LAKEKIT_PYTHON'), ['-c', WRITER, dir, String(ROWS)], { stdio: 'inherit' });
      await pgClient.connect();
      await pgClient.query(
        `CREATE TABLE ${table} (id bigint PRIMARY KEY, d date, ts timestamp, tz timestamptz, f real, amount numeric(10,2))`,
      );
      // Float: the double i × 0.1 rounded to float32, as pyarrow does.
      await pgClient.query(
        `INSERT INTO ${table} SELECT g, DATE '2024-01-01' + g,
           TIMESTAMP '2024-01-01' + g * INTERVAL '1000003 microseconds',
           CASE WHEN g % 7 = 0 THEN NULL ELSE (TIMESTAMP '2024-01-01' + g * INTERVAL '1000003 microseconds') AT TIME ZONE 'UTC' END,
           (g::float8 * 0.1::float8)::real, g * 1.5
         FROM generate_series(1, ${ROWS}) g`,
      );
      my = await mysql.createConnection({ uri: env('LAKEKIT_MYSQL_URL') });
      await my.query("SET time_zone = '+00:00'");
      await my.query(
        `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, d DATE, ts DATETIME(6), tz TIMESTAMP(6) NULL, f FLOAT, amount DECIMAL(10,2))`,
      );
      const rows = Array.from({ length: ROWS }, (_, k) => {
        const i = k + 1;
        const micros = BigInt(Date.UTC(2024, 0, 1)) * 1000n + BigInt(i) * 1_000_003n;
        const text = `${new Date(Number(micros / 1000n)).toISOString().slice(0, 19).replace('T', ' ')}.${(micros % 1_000_000n).toString().padStart(6, '0')}`;
        const d = new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);
        return [i, d, text, i % 7 === 0 ? null : text, i * 0.1, (i * 1.5).toFixed(2)];
      });
      await my.query(`INSERT INTO ${table} (id, d, ts, tz, f, amount) VALUES ?`, [rows]);
    });
    afterAll(async () => {
      await pgClient.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
      await pgClient.end();
      await my?.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
      await my?.end();
      rmSync(dir, { recursive: true, force: true });
    });

    it('Postgres: equal checksums over every column, exit 0; a one-microsecond change is caught', async () => {
      const ok = await cli(['counts', '--source', pgUrl(), '--target', target, '--checksum', COLUMNS]);
      expect(ok.out).toMatchObject({ ok: true, source: { count: ROWS }, target: { count: ROWS } });
      expect(ok.code).toBe(0);
      await pgClient.query(`UPDATE ${table} SET ts = ts + INTERVAL '1 microsecond' WHERE id = 42`);
      const changed = await cli(['counts', '--source', pgUrl(), '--target', target, '--checksum', 'id,ts']);
      expect(changed.code).toBe(1);
      expect(changed.out.difference).toBe(0);
      expect(changed.out.source.checksum).not.toBe(changed.out.target.checksum);
    });

    it('MariaDB: DATE, DATETIME(6), TIMESTAMP(6), FLOAT and DECIMAL agree with the same table', async () => {
      const ok = await cli(['counts', '--source', myUrl(), '--target', target, '--checksum', COLUMNS]);
      expect(ok.out).toMatchObject({ ok: true, source: { count: ROWS }, target: { count: ROWS } });
      expect(ok.code).toBe(0);
      await my.query(`UPDATE ${table} SET tz = NULL WHERE id = 1`);
      const changed = await cli(['counts', '--source', myUrl(), '--target', target, '--checksum', 'id,tz']);
      expect(changed.code).toBe(1);
    });

    it('refuses a type with no canonical form (interval) with exit 2, naming the column', async () => {
      await pgClient.query(`ALTER TABLE ${table} ADD COLUMN waited interval DEFAULT '1 day'`);
      const r = await cli(['counts', '--source', pgUrl(), '--target', target, '--checksum', 'id,waited']);
      expect(r.code).toBe(2);
      expect(String(r.out)).toMatch(/--checksum does not support waited \(interval\)/);
    });
  },
);
