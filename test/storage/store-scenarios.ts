/**
 * Behaviour every `ObjectStore` must show, run against the local store in unit tests and against
 * the stack's S3 in live tests, so the two implementations cannot drift apart.
 */
import { expect, it } from 'vitest';
import type { ObjectStore } from '../../src/storage/index.js';
import { StorageError } from '../../src/storage/index.js';

async function collect(it: AsyncIterable<{ key: string }>): Promise<string[]> {
  const out: string[] = [];
  for await (const o of it) out.push(o.key);
  return out;
}

export function storeScenarios(makeStore: () => ObjectStore): void {
  it('round-trips bytes and strings, and reads byte ranges', async () => {
    const store = makeStore();
    await store.put('a/bytes.bin', new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    await store.put('a/text.txt', 'héllo');
    expect([...(await store.get('a/bytes.bin'))]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new TextDecoder().decode(await store.get('a/text.txt'))).toBe('héllo');
    expect([...(await store.get('a/bytes.bin', { range: { offset: 3, length: 4 } }))]).toEqual([3, 4, 5, 6]);
    const info = await store.head('a/bytes.bin');
    expect(info?.size).toBe(10);
    expect(info?.key).toBe('a/bytes.bin');
  });

  it('reports missing objects as undefined from head and isNotFound from get', async () => {
    const store = makeStore();
    expect(await store.head('nope/missing.json')).toBeUndefined();
    const err = await store.get('nope/missing.json').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).isNotFound()).toBe(true);
    expect((err as StorageError).key).toBe('nope/missing.json');
  });

  it('create-only put fails with isPreconditionFailed when the key exists, and one racer wins', async () => {
    const store = makeStore();
    await store.put('c/00001.json', 'first', { ifNoneMatch: '*' });
    const err = await store.put('c/00001.json', 'second', { ifNoneMatch: '*' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).isPreconditionFailed()).toBe(true);
    expect(new TextDecoder().decode(await store.get('c/00001.json'))).toBe('first');
    const results = await Promise.allSettled(
      ['x', 'y', 'z'].map((body) => store.put('c/00002.json', body, { ifNoneMatch: '*' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect((r.reason as StorageError).isPreconditionFailed()).toBe(true);
  });

  it('lists by prefix in lexicographic order, honouring startAfter, including nested keys', async () => {
    const store = makeStore();
    const keys = [
      'log/00000000000000000010.json',
      'log/00000000000000000002.json',
      'log/_sidecars/s.parquet',
    ];
    keys.push('log/00000000000000000001.json', 'logx/other.json', 'other/log/1.json');
    for (const k of keys) await store.put(k, k);
    expect(await collect(store.list('log/'))).toEqual([
      'log/00000000000000000001.json',
      'log/00000000000000000002.json',
      'log/00000000000000000010.json',
      'log/_sidecars/s.parquet',
    ]);
    expect(await collect(store.list('log/0000', { startAfter: 'log/00000000000000000001.json' }))).toEqual([
      'log/00000000000000000002.json',
      'log/00000000000000000010.json',
    ]);
    expect(await collect(store.list('log'))).toContain('logx/other.json');
    expect(await collect(store.list('absent/'))).toEqual([]);
  });

  it('deletes objects, and deleting a missing key is not an error', async () => {
    const store = makeStore();
    await store.put('d/x', 'x');
    await store.delete('d/x');
    expect(await store.head('d/x')).toBeUndefined();
    await expect(store.delete('d/x')).resolves.toBeUndefined();
  });
}
