import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { Table as WasmTable, WriterPropertiesBuilder, writeParquet } from 'parquet-wasm';
import { describe, expect, it } from 'vitest';
import { decodeInPool, POOL_MIN_BYTES, poolReady, poolSize } from '../../../src/iceberg/table/decode-pool.js';
import { lt } from '../../../src/iceberg/table/expressions.js';
import { localFileIO } from '../../../src/iceberg/table/io.js';
import { decodeParquet, decodeParquetColumns } from '../../../src/iceberg/table/read.js';
import { IcebergTable } from '../../../src/iceberg/table/table.js';
import { makeSchema, optional, required } from '../../../src/iceberg/table/types.js';
import { encodeParquet, toTableBatch } from '../../../src/iceberg/table/write.js';
import { MemoryCatalog } from './memory-catalog.js';

const schema = makeSchema([
  required(1, 'id', 'long'),
  optional(2, 'name', 'string'),
  optional(3, 'score', 'double'),
]);

async function parquetBytes(n: number): Promise<Uint8Array> {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: BigInt(i),
    name: i % 7 === 0 ? null : `n${i}`,
    score: i * 0.25,
  }));
  return encodeParquet(await toTableBatch(rows, schema));
}

/** `parquetBytes(n)` rewritten with row groups of `groupRows` rows. */
async function groupedBytes(n: number, groupRows: number): Promise<Uint8Array> {
  const ipc = tableToIPC(decodeParquet(await parquetBytes(n), 'mem'), 'stream');
  return writeParquet(
    WasmTable.fromIPCStream(ipc),
    new WriterPropertiesBuilder().setMaxRowGroupSize(groupRows).build(),
  );
}

describe('Parquet decode pool', () => {
  it('decodes on a worker to the same Arrow data as the inline decoder, whole and projected', async () => {
    expect(await poolReady()).toBe(true);
    const bytes = await parquetBytes(5000);
    const inline = decodeParquet(bytes, 'mem');
    const pooled = tableFromIPC(await (decodeInPool(bytes, undefined, 65_536, true) as Promise<Uint8Array>));
    expect(pooled.numRows).toBe(5000);
    expect(
      pooled.schema.fields.map((f) => `${f.name}:${f.type}:${f.metadata.get('PARQUET:field_id')}`),
    ).toEqual(inline.schema.fields.map((f) => `${f.name}:${f.type}:${f.metadata.get('PARQUET:field_id')}`));
    expect(pooled.toArray().map((r) => r.toJSON())).toEqual(inline.toArray().map((r) => r.toJSON()));
    const names = pooled.getChild('name');
    expect([names?.get(7), names?.get(8), names?.get(4999)]).toEqual([null, 'n8', 'n4999']);

    const projected = tableFromIPC(
      await (decodeInPool(bytes, ['score', 'id'], 65_536, true) as Promise<Uint8Array>),
    );
    expect(projected.schema.fields.map((f) => f.name)).toEqual(['id', 'score']);
    expect(projected.getChild('score')?.get(4999)).toBe(4999 * 0.25);
  });

  it('reads a projection inline from bytes at an offset inside a larger buffer (e.g. a pooled Buffer)', async () => {
    const bytes = await groupedBytes(3000, 1000);
    const host = Buffer.alloc(bytes.byteLength + 200, 0xee);
    host.set(bytes, 100);
    const view = host.subarray(100, 100 + bytes.byteLength);
    const inline = decodeParquet(bytes, 'mem');
    const projected = await decodeParquetColumns(view, 'mem', ['score', 'id']);
    expect(projected.schema.fields.map((f) => f.name)).toEqual(['id', 'score']);
    expect(projected.numRows).toBe(3000);
    expect(projected.getChild('id')?.toArray()).toEqual(inline.getChild('id')?.toArray());
    expect(projected.getChild('score')?.toArray()).toEqual(inline.getChild('score')?.toArray());
  });

  it('leaves small files to the caller and reports a broken file as an error', async () => {
    expect(await poolReady()).toBe(true);
    const small = await parquetBytes(10);
    expect(small.byteLength).toBeLessThan(POOL_MIN_BYTES);
    expect(decodeInPool(small, undefined, 65_536)).toBeUndefined();
    const broken = small.slice(0, small.byteLength - 20);
    await expect(decodeInPool(broken, undefined, 65_536, true)).rejects.toThrow(/\w/);
    // The worker survives a failed decode.
    const again = tableFromIPC(await (decodeInPool(small, undefined, 65_536, true) as Promise<Uint8Array>));
    expect(again.numRows).toBe(10);
  });

  it('a table scan over files large enough for the pool reads every row, projected and filtered', async () => {
    expect(await poolReady()).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'lakekit-pool-'));
    try {
      const cat = MemoryCatalog.create(`file://${dir}`, schema);
      const table = new IcebergTable(cat.metadata, localFileIO(), cat);
      const n = 40_000;
      for (let f = 0; f < 3; f++)
        await table.append(
          Array.from({ length: n }, (_, i) => ({ id: BigInt(f * n + i), name: `n${i}`, score: i * 0.5 })),
        );
      const sizes = (await table.planFiles()).tasks.map((t) => t.file.fileSizeInBytes);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(POOL_MIN_BYTES);
      const all = await table.toArrow();
      expect(all.numRows).toBe(3 * n);
      const ids = all.getChild('id')?.toArray() as BigInt64Array;
      expect([...ids].map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 3 * n }, (_, i) => i));
      const some = await table.toArrow({ columns: ['score'], filter: lt('id', n + 10) });
      expect(some.schema.fields.map((f) => f.name)).toEqual(['score']);
      expect(some.numRows).toBe(n + 10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never keeps a process alive: a script that started the pool, idle or after a decode, exits', () => {
    const pool = join(import.meta.dirname, '..', '..', '..', 'src', 'iceberg', 'table', 'decode-pool.ts');
    for (const body of [
      'await m.poolReady();',
      'await m.poolReady(); await m.decodeInPool(new Uint8Array(16), undefined, 1024, true).catch(() => {});',
    ]) {
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(pool)}); ${body} console.log('done');`,
        ],
        { encoding: 'utf8', timeout: 60_000, cwd: join(import.meta.dirname, '..', '..', '..') },
      );
      expect(r.signal, `${body}\n${r.stderr}`).toBeNull();
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe('done');
    }
  });
});

describe('decode pool size', () => {
  it('follows LAKEKIT_DECODE_THREADS (0 = off) and rejects a bad value by name', () => {
    expect(poolSize({ LAKEKIT_DECODE_THREADS: '0' })).toBe(0);
    expect(poolSize({ LAKEKIT_DECODE_THREADS: '3' })).toBe(3);
    expect(poolSize({})).toBeGreaterThanOrEqual(1);
    expect(poolSize({})).toBeLessThanOrEqual(4);
    expect(() => poolSize({ LAKEKIT_DECODE_THREADS: 'many' })).toThrow(/LAKEKIT_DECODE_THREADS.*"many"/);
  });
});
