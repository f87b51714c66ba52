import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table, TimestampMillisecond, tableFromArrays, Utf8, vectorFromArray } from 'apache-arrow';
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
  new Table({
    id: vectorFromArray(BigInt64Array.from(ids)),
    name: vectorFromArray(
      ids.map((i) => (i % 2n === 0n ? null : `n${i}`)),
      new Utf8(),
    ),
  });
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

describe('Delta append writer under failures', () => {
  const wrap = (store: ObjectStore, put: ObjectStore['put']): ObjectStore => ({
    url: store.url,
    get: store.get.bind(store),
    head: store.head.bind(store),
    list: store.list.bind(store),
    delete: store.delete.bind(store),
    put,
  });

  it('keeps the data file when the commit landed but its answer was lost', async () => {
    const { store } = fresh();
    await appendToDelta(store, rows([1n]));
    const lossy = wrap(store, async (key, body, opts) => {
      const r = await store.put(key, body, opts);
      if (key.startsWith('_delta_log/')) throw new Error('socket hang up');
      return r;
    });
    await expect(appendToDelta(lossy, rows([2n]))).rejects.toThrow(/socket hang up/);
    // The commit is there and every file it references still exists.
    const v1 = actions(store.url.replace('file://', ''), 1);
    const added = v1.find((a) => a.add)?.add?.path as string;
    expect(await store.head(added)).toBeDefined();
  });

  it('recognises its own commit when a retried PUT meets it (no double commit)', async () => {
    const { dir, store } = fresh();
    await appendToDelta(store, rows([1n]));
    const retrying = wrap(store, async (key, body, opts) => {
      if (key.startsWith('_delta_log/')) {
        await store.put(key, body, opts); // first attempt landed, answer lost; the SDK retries:
      }
      return store.put(key, body, opts);
    });
    const r = await appendToDelta(retrying, rows([2n]));
    expect(r.version).toBe(1);
    expect(await latestDeltaVersion(store)).toBe(1);
    expect(readdirSync(join(dir, '_delta_log')).filter((f) => f.endsWith('.json'))).toHaveLength(2);
  });

  it('refuses data whose columns differ from the table, writing nothing', async () => {
    const { dir, store } = fresh();
    await appendToDelta(store, rows([1n]));
    const before = readdirSync(dir).sort();
    const other = tableFromArrays({ other: Float64Array.from([1]) });
    await expect(appendToDelta(store, other)).rejects.toThrow(
      /table columns are id:long, name:string, data columns are other:double/,
    );
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it('omits bounds it cannot write exactly', () => {
    const big = tableFromArrays({ id: BigInt64Array.from([9007199254740993n, 1n]) });
    expect(fileStats(big)).toEqual({ numRecords: 2, minValues: {}, maxValues: {}, nullCount: { id: 0 } });
  });
});
