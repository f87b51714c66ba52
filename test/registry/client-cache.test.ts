import { describe, expect, it } from 'vitest';
import { SingleFlightCache, WaiterAbortedError } from '../../src/registry/cache.js';

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe('SingleFlightCache (registry client caches)', () => {
  it('runs one load per key for concurrent callers and caches the value', async () => {
    const cache = new SingleFlightCache<string, number>(10);
    let loads = 0;
    const d = deferred<number>();
    const load = () => {
      loads++;
      return d.promise;
    };
    const all = Promise.all([
      cache.getOrLoad('a', load),
      cache.getOrLoad('a', load),
      cache.getOrLoad('a', load),
    ]);
    d.resolve(7);
    expect(await all).toEqual([7, 7, 7]);
    expect(await cache.getOrLoad('a', load)).toBe(7);
    expect(loads).toBe(1);
    expect(cache.size).toBe(1);
  });

  it('does not cache a failed load', async () => {
    const cache = new SingleFlightCache<string, number>(10);
    let loads = 0;
    const load = async () => {
      loads++;
      if (loads === 1) throw new Error('boom');
      return 1;
    };
    await expect(cache.getOrLoad('a', load)).rejects.toThrow('boom');
    expect(await cache.getOrLoad('a', load)).toBe(1);
    expect(loads).toBe(2);
  });

  it('aborts the shared load only when every waiter has aborted, then starts afresh', async () => {
    const cache = new SingleFlightCache<string, string>(10);
    const signals: AbortSignal[] = [];
    const load = (signal: AbortSignal) => {
      signals.push(signal);
      return new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => resolve('value'), 50);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          reject(new Error('load aborted'));
        });
      });
    };
    const a = new AbortController();
    const b = new AbortController();
    const pa = cache.getOrLoad('k', load, a.signal).catch((e: unknown) => e);
    const pb = cache.getOrLoad('k', load, b.signal).catch((e: unknown) => e);
    a.abort();
    expect(await pa).toBeInstanceOf(WaiterAbortedError);
    expect(signals[0]?.aborted).toBe(false);
    b.abort();
    expect(await pb).toBeInstanceOf(WaiterAbortedError);
    expect(signals[0]?.aborted).toBe(true);
    expect(await cache.getOrLoad('k', load)).toBe('value');
    expect(signals).toHaveLength(2);
  });

  it('rejects at once for an already aborted signal', async () => {
    const cache = new SingleFlightCache<string, number>(10);
    const ac = new AbortController();
    ac.abort();
    await expect(cache.getOrLoad('a', async () => 1, ac.signal)).rejects.toBeInstanceOf(WaiterAbortedError);
  });

  it('evicts least recently used entries beyond capacity and caches nothing at capacity 0', async () => {
    const cache = new SingleFlightCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.peek('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.peek('b')).toBeUndefined();
    expect([cache.peek('a'), cache.peek('c')]).toEqual([1, 3]);
    cache.deleteWhere((k) => k === 'a');
    expect(cache.peek('a')).toBeUndefined();
    const none = new SingleFlightCache<string, number>(0);
    none.set('a', 1);
    expect(none.size).toBe(0);
  });
});

describe('SingleFlightCache invalidation during a load', () => {
  it('does not cache the answer of a load whose key was forgotten meanwhile', async () => {
    const cache = new SingleFlightCache<string, number>(10);
    const d = deferred<number>();
    const p = cache.getOrLoad('subject:a', () => d.promise);
    cache.deleteWhere((k) => k.startsWith('subject:'));
    d.resolve(7);
    expect(await p).toBe(7); // the caller still gets its answer
    expect(cache.peek('subject:a')).toBeUndefined();
    let loads = 0;
    expect(await cache.getOrLoad('subject:a', async () => ++loads + 10)).toBe(11);
    expect(loads).toBe(1);
  });
});
