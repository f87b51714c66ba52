import { describe, expect, it } from 'vitest';
import { decodeDebeziumEvent, isChangeEvent, KafkaError } from '../../src/kafka/index.js';

// Shapes as Debezium 3.x PostgreSQL / MariaDB connectors write them with JsonConverter.
const pgSource = (snapshot: string, lsn: number) => ({
  version: '3.6.1.Final',
  connector: 'postgresql',
  name: 'lk1',
  ts_ms: 1764072000000,
  ts_us: 1764072000000000,
  ts_ns: 1764072000000000000,
  snapshot,
  db: 'cdc',
  sequence: `[null,"${lsn}"]`,
  schema: 'public',
  table: 'customers',
  txId: 755,
  lsn,
  xmin: null,
});
const envelope = (op: string, before: unknown, after: unknown, snapshot = 'false', lsn = 24023128) => ({
  before,
  after,
  source: pgSource(snapshot, lsn),
  transaction: null,
  op,
  ts_ms: 1764072000123,
  ts_us: 1764072000123456,
  ts_ns: 1764072000123456800,
});
const rowSchema = (name: string) => ({
  type: 'struct',
  optional: true,
  name,
  field: 'after',
  fields: [
    { type: 'int32', optional: false, default: 0, field: 'id' },
    { type: 'string', optional: false, field: 'name' },
    { type: 'string', optional: true, field: 'email' },
  ],
});
const withSchema = (payload: unknown) => ({
  schema: {
    type: 'struct',
    optional: false,
    name: 'lk1.public.customers.Envelope',
    version: 2,
    fields: [
      { ...rowSchema('lk1.public.customers.Value'), field: 'before' },
      rowSchema('lk1.public.customers.Value'),
      {
        type: 'struct',
        optional: false,
        name: 'io.debezium.connector.postgresql.Source',
        field: 'source',
        fields: [],
      },
      { type: 'string', optional: false, field: 'op' },
      { type: 'int64', optional: true, field: 'ts_ms' },
    ],
  },
  payload,
});
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));
const ada = { id: 1, name: 'Ada', email: 'ada@example.com' };

describe('decodeDebeziumEvent', () => {
  it('decodes a schemaless snapshot read with its source block', () => {
    const e = decodeDebeziumEvent({
      topic: 'lk1.public.customers',
      partition: 0,
      offset: '0',
      key: bytes({ id: 1 }),
      value: bytes(envelope('r', null, ada, 'first', 24023000)),
    });
    expect(e.kind).toBe('change');
    if (!isChangeEvent(e)) throw new Error('not a change');
    expect(e.op).toBe('r');
    expect(e.snapshot).toBe(true);
    expect(e.before).toBeNull();
    expect(e.after).toEqual(ada);
    expect(e.key).toEqual({ id: 1 });
    expect(e.source.lsn).toBe(24023000);
    expect(e.source.ts_ms).toBe(1764072000000);
    expect(e.source.table).toBe('customers');
    expect(e.tsMs).toBe(1764072000123);
    expect(e.schema).toBeUndefined();
  });

  it('decodes c/u/d with before/after when schemas are enabled (key and value)', () => {
    const updated = { ...ada, email: 'ada@lovelace.org' };
    const key = bytes({
      schema: {
        type: 'struct',
        optional: false,
        name: 'lk1.public.customers.Key',
        fields: [{ type: 'int32', optional: false, field: 'id' }],
      },
      payload: { id: 1 },
    });
    const [c, u, d] = [
      envelope('c', null, ada),
      envelope('u', ada, updated),
      envelope('d', updated, null),
    ].map((v) => decodeDebeziumEvent({ key, value: bytes(withSchema(v)) }));
    for (const e of [c, u, d]) {
      if (!e || !isChangeEvent(e)) throw new Error('expected change events');
      expect(e.key).toEqual({ id: 1 });
      expect(e.snapshot).toBe(false);
      expect((e.schema as { name?: string }).name).toBe('lk1.public.customers.Envelope');
    }
    expect(c).toMatchObject({ op: 'c', before: null, after: ada });
    expect(u).toMatchObject({ op: 'u', before: ada, after: updated });
    expect(d).toMatchObject({ op: 'd', before: updated, after: null });
  });

  it('treats a null value (and a schema-wrapped null payload) as a tombstone', () => {
    expect(decodeDebeziumEvent({ key: bytes({ id: 1 }), value: null })).toEqual({
      kind: 'tombstone',
      key: { id: 1 },
    });
    expect(decodeDebeziumEvent({ key: '{"id":2}', value: Buffer.alloc(0) })).toEqual({
      kind: 'tombstone',
      key: { id: 2 },
    });
    expect(decodeDebeziumEvent({ key: null, value: bytes({ schema: null, payload: null }) })).toEqual({
      kind: 'tombstone',
      key: null,
    });
  });

  it('decodes truncate (no rows) and a logical decoding message', () => {
    const t = decodeDebeziumEvent({ key: null, value: bytes(envelope('t', null, null)) });
    expect(t).toMatchObject({ kind: 'change', op: 't', before: null, after: null, key: null });
    const m = decodeDebeziumEvent({
      key: bytes({ prefix: 'audit' }),
      value: bytes({ ...envelope('m', null, null), message: { prefix: 'audit', content: 'aGVsbG8=' } }),
    });
    expect(m).toMatchObject({ op: 'm', message: { prefix: 'audit', content: 'aGVsbG8=' } });
  });

  it('decodes MariaDB binlog events and schema-change events', () => {
    const source = {
      version: '3.5.0.Final',
      connector: 'mariadb',
      name: 'lkm',
      ts_ms: 1764072001000,
      snapshot: 'false',
      db: 'cdc',
      sequence: null,
      table: 'customers',
      server_id: 1,
      gtid: '0-1-42',
      file: 'mysql-bin.000003',
      pos: 1874,
      row: 0,
      thread: 12,
      query: null,
    };
    const e = decodeDebeziumEvent({
      key: bytes({ id: 7 }),
      value: bytes({
        before: null,
        after: { id: 7, name: 'Grace' },
        source,
        transaction: null,
        op: 'c',
        ts_ms: 1764072001050,
      }),
    });
    expect(e).toMatchObject({ kind: 'change', op: 'c', after: { id: 7, name: 'Grace' } });
    if (!isChangeEvent(e)) throw new Error('not a change');
    expect(e.source.file).toBe('mysql-bin.000003');
    expect(e.source.pos).toBe(1874);
    const ddl = decodeDebeziumEvent({
      key: bytes({ databaseName: 'cdc' }),
      value: bytes({
        source,
        ts_ms: 1764072001100,
        databaseName: 'cdc',
        schemaName: null,
        ddl: 'CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(64))',
        tableChanges: [{ type: 'CREATE', id: '"cdc"."customers"' }],
      }),
    });
    expect(ddl).toMatchObject({ kind: 'schema-change', databaseName: 'cdc', schemaName: undefined });
    expect(ddl.kind === 'schema-change' && ddl.ddl).toMatch(/^CREATE TABLE customers/);
  });

  it('recognises rows flattened by ExtractNewRecordState', () => {
    const e = decodeDebeziumEvent({
      key: bytes({ id: 1 }),
      value: bytes({ ...ada, __op: 'd', __deleted: 'true' }),
    });
    expect(e).toEqual({
      kind: 'row',
      op: 'd',
      deleted: true,
      row: { ...ada, __op: 'd', __deleted: 'true' },
      key: { id: 1 },
    });
  });

  it('accepts values already decoded (e.g. by an Avro serde)', () => {
    const e = decodeDebeziumEvent({ key: { id: 1 }, value: envelope('c', null, ada) });
    expect(e).toMatchObject({ kind: 'change', op: 'c', after: ada, key: { id: 1 } });
  });

  it('rejects what is not a Debezium JSON event, naming where it came from', () => {
    const at = { topic: 'lk1.public.customers', partition: 0, offset: '41' };
    const notJson = (() => {
      try {
        decodeDebeziumEvent({ ...at, value: Buffer.from('not json') });
      } catch (e) {
        return e;
      }
    })() as KafkaError;
    expect(notJson).toBeInstanceOf(KafkaError);
    expect(notJson.isUndecodable()).toBe(true);
    expect(notJson.message).toContain('lk1.public.customers[0]@41');
    expect(() => decodeDebeziumEvent({ value: Buffer.from([0, 0, 0, 0, 7, 2, 4]) })).toThrow(
      /lakekit\/registry/,
    );
    expect(() => decodeDebeziumEvent({ value: bytes({ ...envelope('x', null, ada) }) })).toThrow(
      /unknown op "x"/,
    );
    expect(() => decodeDebeziumEvent({ value: bytes({ op: 'c', after: ada }) })).toThrow(/without a source/);
    expect(() => decodeDebeziumEvent({ value: bytes({ ...envelope('c', null, 'x') }) })).toThrow(
      /after is string/,
    );
    expect(() => decodeDebeziumEvent({ value: bytes([1, 2]) })).toThrow(/expected an object/);
  });
});
