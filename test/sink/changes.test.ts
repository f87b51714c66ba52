import { describe, expect, it } from 'vitest';
import { decodeDebeziumJson } from '../../src/sink/cdc-sink.js';
import { ChangeReducer, keyOf } from '../../src/sink/changes.js';

const pos = (offset: number, partition = 0) => ({ topic: 't', partition, offset: String(offset) });

describe('ChangeReducer', () => {
  it('keeps only the last change per key, in log order', () => {
    const r = new ChangeReducer(['id']);
    r.add({ op: 'r', after: { id: 1, name: 'a' } }, pos(1));
    r.add({ op: 'c', after: { id: 2, name: 'b' } }, pos(2));
    r.add({ op: 'u', before: { id: 1, name: 'a' }, after: { id: 1, name: 'a2' } }, pos(3));
    r.add({ op: 'd', before: { id: 2, name: 'b' } }, pos(4));
    r.add({ op: 'c', after: { id: 3, name: 'c' } }, pos(5, 1));
    const b = r.drain();
    expect(b.events).toBe(5);
    expect(b.upserts).toEqual([
      { id: 1, name: 'a2' },
      { id: 3, name: 'c' },
    ]);
    expect(b.deletes).toEqual([{ id: 2 }]);
    expect(b.upsertPositions).toEqual([pos(3), pos(5, 1)]);
    expect(b.deletePositions).toEqual([pos(4)]);
    expect(b.positions).toEqual([pos(4), pos(5, 1)]);
    expect(r.drain()).toEqual({
      upserts: [],
      deletes: [],
      upsertPositions: [],
      deletePositions: [],
      positions: [],
      events: 0,
    });
  });

  it('treats a re-insert after a delete as an upsert', () => {
    const r = new ChangeReducer(['id']);
    r.add({ op: 'd', before: { id: 1 } });
    r.add({ op: 'c', after: { id: 1, v: 2 } });
    expect(r.drain()).toMatchObject({ upserts: [{ id: 1, v: 2 }], deletes: [] });
  });

  it('rejects events it cannot key', () => {
    const r = new ChangeReducer(['id', 'region']);
    expect(() => r.add({ op: 'd', before: null })).toThrow(/no before image/);
    expect(() => r.add({ op: 'c', after: { id: 1 } })).toThrow(/lacks key column region/);
    expect(() => new ChangeReducer([])).toThrow(/key column/);
  });

  it('keys equal numbers the same whatever their JS type', () => {
    expect(keyOf({ id: 5n }, ['id'])).toBe(keyOf({ id: 5 }, ['id']));
    expect(keyOf({ a: 1, b: 'x' }, ['a', 'b'])).not.toBe(keyOf({ a: 1, b: 'y' }, ['a', 'b']));
  });
});

describe('decodeDebeziumJson', () => {
  const envelope = { op: 'u', before: { id: 1, v: 'a' }, after: { id: 1, v: 'b' }, source: { lsn: 10 } };
  it('reads envelopes with and without the schema wrapper', async () => {
    const plain = await decodeDebeziumJson(Buffer.from(JSON.stringify(envelope)), null);
    const wrapped = await decodeDebeziumJson(
      Buffer.from(JSON.stringify({ schema: {}, payload: envelope })),
      null,
    );
    expect(plain).toEqual({ op: 'u', before: { id: 1, v: 'a' }, after: { id: 1, v: 'b' } });
    expect(wrapped).toEqual(plain);
  });
  it('keeps integers beyond 2^53 exact so distinct keys stay distinct', async () => {
    const e = await decodeDebeziumJson(
      Buffer.from('{"op":"c","after":{"id":9007199254740993,"v":1.5,"n":12}}'),
      null,
    );
    expect(e?.after).toEqual({ id: 9007199254740993n, v: 1.5, n: 12 });
    const r = new ChangeReducer(['id']);
    r.add({ op: 'c', after: { id: 9007199254740993n } });
    r.add({ op: 'c', after: { id: 9007199254740992n } });
    expect(r.drain().upserts).toHaveLength(2);
  });

  it('skips tombstones and non-change messages', async () => {
    expect(await decodeDebeziumJson(null, null)).toBeUndefined();
    expect(await decodeDebeziumJson(Buffer.from('{"op":"t","before":null}'), null)).toBeUndefined();
    expect(await decodeDebeziumJson(Buffer.from('{"ts_ms":1}'), null)).toBeUndefined();
  });
});
