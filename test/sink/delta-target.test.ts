import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, Float64, Int64, Utf8 } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { ChangeReducer } from '../../src/sink/changes.js';
import { deltaChangelogTarget, materializeChangelog } from '../../src/sink/delta-target.js';
import { createLocalStore } from '../../src/storage/index.js';

const columns = [
  new Field('id', new Int64(), false),
  new Field('name', new Utf8(), true),
  new Field('amount', new Float64(), true),
];
const at = (offset: number) => ({ topic: 'cdc.customers', partition: 0, offset: String(offset + 1) });

describe('Delta change-log sink target', () => {
  it('appends batches, stores positions with them and materializes the current rows', async () => {
    const store = createLocalStore(mkdtempSync(join(tmpdir(), 'lk-sink-delta-')));
    const target = deltaChangelogTarget({ store, sinkId: 'demo', columns, keyColumns: ['id'] });
    expect(await target.committedPositions()).toEqual([]);

    const r = new ChangeReducer(['id']);
    r.add({ op: 'r', after: { id: 1, name: 'ada', amount: 1.5 } }, at(0));
    r.add({ op: 'r', after: { id: 2, name: 'bob', amount: 2 } }, at(1));
    r.add({ op: 'c', after: { id: 3, name: 'cy', amount: null } }, at(2));
    await target.apply(r.drain());
    r.add({ op: 'u', before: { id: 1 }, after: { id: 1, name: 'ada2', amount: 10 } }, at(3));
    r.add({ op: 'd', before: { id: 2, name: 'bob', amount: 2 } }, at(4));
    await target.apply(r.drain());
    // A batch of only tombstones/heartbeats commits nothing.
    await target.apply(r.drain());

    expect(await target.committedPositions()).toEqual([at(4)]);
    const rows = (await materializeChangelog(store, ['id'])).sort((a, b) => Number(a.id) - Number(b.id));
    expect(rows).toEqual([
      { id: 1n, name: 'ada2', amount: 10 },
      { id: 3n, name: 'cy', amount: null },
    ]);
  });

  it('finds its own positions, not those of another sink writing the same table', async () => {
    const store = createLocalStore(mkdtempSync(join(tmpdir(), 'lk-sink-delta-')));
    const a = deltaChangelogTarget({ store, sinkId: 'a', columns, keyColumns: ['id'] });
    const b = deltaChangelogTarget({ store, sinkId: 'b', columns, keyColumns: ['id'] });
    const r = new ChangeReducer(['id']);
    r.add({ op: 'c', after: { id: 1, name: 'x', amount: 1 } }, at(7));
    await a.apply(r.drain());
    r.add({ op: 'c', after: { id: 2, name: 'y', amount: 1 } }, { topic: 'other', partition: 0, offset: '3' });
    await b.apply(r.drain());
    expect(await a.committedPositions()).toEqual([at(7)]);
    expect(await b.committedPositions()).toEqual([{ topic: 'other', partition: 0, offset: '3' }]);
  });

  it('rejects a key column that is not a column', () => {
    const store = createLocalStore(mkdtempSync(join(tmpdir(), 'lk-sink-delta-')));
    expect(() => deltaChangelogTarget({ store, sinkId: 'x', columns, keyColumns: ['nope'] })).toThrow(
      /key column nope/,
    );
  });
});
