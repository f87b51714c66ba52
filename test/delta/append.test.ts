import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table, TimestampMillisecond, tableFromArrays, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { appendToDelta, fileStats, latestDeltaVersion } from '../../src/delta/write/append.js';
import { LakekitError } from '../../src/http/errors.js';
import { createLocalStore } from '../../src/storage/index.js';
import type { ObjectStore } from '../../src/storage/object-store.js';

const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-delta-w-'));
  return { dir, store: createLocalStore(dir) };
};
const rows = (ids: bigint[]) =>
  tableFromArrays({ id: BigInt64Array.from(ids), name: ids.map((i) => (i % 2n === 0n ? null : `n${i}`)) });
const actions = (dir: string, v: number) =>
  readFileSync(join(dir, '_delta_log', `${String(v).padStart(20, '0')}.json`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);

describe('Delta append writer', () => {
  it('creates the table at version 0 with protocol, metadata and add, then appends', async () => {
    const { dir, store } = fresh();
    const r0 = await appendToDelta(store, rows([1n, 2n, 3n]), {
      commitInfo: { 'lakekit.positions': [{ offset: '3' }] },
    });
    const r1 = await appendToDelta(store, rows([4n]));
    expect([r0.version, r1.version]).toEqual([0, 1]);
    const v0 = actions(dir, 0);
    expect(v0.map((a) => Object.keys(a)[0])).toEqual(['commitInfo', 'protocol', 'metaData', 'add']);
    expect(v0[0]?.commitInfo?.['lakekit.positions']).toEqual([{ offset: '3' }]);
    const schema = JSON.parse(String(v0[2]?.metaData?.schemaString));
    expect(schema.fields.map((f: { name: string; type: string }) => `${f.name}:${f.type}`)).toEqual([
      'id:long',
      'name:string',
    ]);
    const stats = JSON.parse(String(v0[3]?.add?.stats));
    expect(stats).toEqual({
      numRecords: 3,
      minValues: { id: 1, name: 'n1' },
      maxValues: { id: 3, name: 'n3' },
      nullCount: { id: 0, name: 1 },
    });
    expect(actions(dir, 1).map((a) => Object.keys(a)[0])).toEqual(['commitInfo', 'add']);
    expect(await latestDeltaVersion(store)).toBe(1);
  });

  it('moves to the next version when a concurrent writer took the slot', async () => {
    const { dir, store } = fresh();
    await appendToDelta(store, rows([1n]));
    // Simulate a concurrent writer that committed version 1 between our listing and our put.
    let raced = false;
    const racing: ObjectStore = {
      ...store,
      url: store.url,
      get: store.get.bind(store),
      head: store.head.bind(store),
      list: store.list.bind(store),
      delete: store.delete.bind(store),
      async put(key, body, opts) {
        if (!raced && key.endsWith('00000000000000000001.json')) {
          raced = true;
          writeFileSync(join(dir, key), '{"commitInfo":{"operation":"WRITE"}}\n');
        }
        return store.put(key, body, opts);
      },
    };
    const r = await appendToDelta(racing, rows([2n]));
    expect(raced).toBe(true);
    expect(r.version).toBe(2);
    expect(actions(dir, 2).some((a) => a.add)).toBe(true);
  });

  it('deletes its data file when the commit fails, leaving the table as it was', async () => {
    const { dir, store } = fresh();
    await appendToDelta(store, rows([1n]));
    const before = readdirSync(dir).sort();
    const failing: ObjectStore = {
      ...store,
      url: store.url,
      get: store.get.bind(store),
      head: store.head.bind(store),
      list: store.list.bind(store),
      delete: store.delete.bind(store),
      async put(key, body, opts) {
        if (key.startsWith('_delta_log/')) throw new Error('disk full');
        return store.put(key, body, opts);
      },
    };
    await expect(appendToDelta(failing, rows([2n]))).rejects.toThrow(/Delta commit .* failed: disk full/);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(await latestDeltaVersion(store)).toBe(0);
  });

  it('rejects columns it cannot describe, naming them, before writing anything', async () => {
    const { dir, store } = fresh();
    const t = new Table({
      ts: vectorFromArray([new Date(0)], new TimestampMillisecond()),
    });
    const err = await appendToDelta(store, t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LakekitError);
    expect((err as LakekitError).message).toMatch(/column ts: timestamps without a time zone/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('computes statistics that ignore nulls', () => {
    const s = fileStats(tableFromArrays({ v: Float64Array.from([3, 1, 2]) }));
    expect(s).toEqual({ numRecords: 3, minValues: { v: 1 }, maxValues: { v: 3 }, nullCount: { v: 0 } });
  });
});
