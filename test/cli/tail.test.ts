import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { type TailEntry, tail } from '../../src/cli/tail.js';
import { appendToDelta } from '../../src/delta/write/append.js';
import { createLocalStore } from '../../src/storage/index.js';

const rows = (n: number) => tableFromArrays({ id: BigInt64Array.from({ length: n }, (_, i) => BigInt(i)) });

describe('lakekit tail (Delta)', () => {
  it('prints commits that land after it starts, in order, and stops after --count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-tail-'));
    const store = createLocalStore(dir);
    await appendToDelta(store, rows(1));
    const seen: TailEntry[] = [];
    const done = tail(dir, { endpoints: {}, count: 2, pollIntervalMs: 50, onEntry: (e) => seen.push(e) });
    await new Promise((r) => setTimeout(r, 150));
    await appendToDelta(store, rows(2));
    await appendToDelta(store, rows(3));
    expect(await done).toBe(2);
    expect(seen.map((e) => [e.id, e.operation, e.summary])).toEqual([
      ['1', 'WRITE', '+1 files, -0 files'],
      ['2', 'WRITE', '+1 files, -0 files'],
    ]);
  });

  it('replays history with fromVersion and stops when idle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-tail-'));
    const store = createLocalStore(dir);
    await appendToDelta(store, rows(1));
    await appendToDelta(store, rows(1));
    const seen: string[] = [];
    const n = await tail(dir, {
      endpoints: {},
      fromVersion: -1,
      idleTimeoutMs: 100,
      pollIntervalMs: 20,
      onEntry: (e) => seen.push(e.id),
    });
    expect(n).toBe(2);
    expect(seen).toEqual(['0', '1']);
  });

  it('rejects an Iceberg target without a catalog', async () => {
    await expect(tail('iceberg://ns.t', { endpoints: {}, onEntry: () => undefined })).rejects.toThrow(
      /catalog URL/,
    );
  });
});
