/**
 * Unit tests of the serdes against an in-memory registry: wire-format framing, bad input (typed
 * errors with offsets and field paths, nothing written), subject strategies, schema-id modes,
 * references, Avro schema resolution, JSON Schema dialects and caching.
 */
import { describe, expect, it } from 'vitest';
import { SchemaRegistryError } from '../../src/registry/errors.js';
import {
  deserializer,
  encodeMessageIndexes,
  readHeader,
  readMessageIndexes,
  SerdeError,
  serializer,
  subjectName,
} from '../../src/registry/serdes/index.js';
import { FakeRegistry } from '../fixtures/registry/fake-registry.js';

const USER = JSON.stringify({
  type: 'record',
  name: 'User',
  namespace: 'test',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    {
      name: 'address',
      type: {
        type: 'record',
        name: 'Address',
        fields: [
          { name: 'street', type: 'string' },
          { name: 'zip', type: 'int' },
        ],
      },
    },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
});
const user = { id: 1, name: 'Ada', address: { street: 'Main', zip: 12345 }, tags: ['a'] };

const PROTO = `syntax = "proto3";
package t;
message A { int32 x = 1; }
message B {
  message C { string s = 1; repeated uint32 q = 2; }
  repeated C cs = 1;
  int64 big = 2;
}`;

async function rejection(p: Promise<unknown>): Promise<SerdeError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SerdeError);
  return e as SerdeError;
}

describe('wire format helpers', () => {
  it('reads magic byte and big-endian id', () => {
    expect(readHeader(Uint8Array.from([0, 0x01, 0x02, 0x03, 0x04, 9]))).toEqual({
      schemaId: 0x01020304,
      payloadOffset: 5,
    });
    expect(readHeader(Uint8Array.from([0, 0xff, 0xff, 0xff, 0xff])).schemaId).toBe(0xffffffff);
  });

  it('encodes message indexes with the [0] shortcut and zig-zag varints', () => {
    expect([...encodeMessageIndexes([0])]).toEqual([0]);
    expect([...encodeMessageIndexes([1])]).toEqual([2, 2]);
    expect([...encodeMessageIndexes([1, 0])]).toEqual([4, 2, 0]);
    expect([...encodeMessageIndexes([0, 0])]).toEqual([4, 0, 0]);
    // 300 → zig-zag 600 → varint d8 04
    expect([...encodeMessageIndexes([300])]).toEqual([2, 0xd8, 0x04]);
  });

  it('reads message indexes back, a count of 0 meaning [0]', () => {
    expect(readMessageIndexes(Uint8Array.from([0, 7]), 0)).toEqual({ indexes: [0], next: 1 });
    expect(readMessageIndexes(Uint8Array.from([4, 2, 0]), 0)).toEqual({ indexes: [1, 0], next: 3 });
    expect(readMessageIndexes(Uint8Array.from([2, 0xd8, 0x04]), 0)).toEqual({ indexes: [300], next: 3 });
  });
});

describe('bad input', () => {
  it('unknown magic byte: offset 0', async () => {
    const de = deserializer('AVRO', { client: new FakeRegistry() });
    const e = await rejection(de.deserialize('t', Uint8Array.from([7, 0, 0, 0, 1, 2])));
    expect(e.reason).toBe('unknown-magic-byte');
    expect(e.offset).toBe(0);
    expect(e.message).toContain('0x07 at offset 0');
    expect(e).toBeInstanceOf(SchemaRegistryError);
  });

  it('truncated header and empty message', async () => {
    const de = deserializer('JSON', { client: new FakeRegistry() });
    const e = await rejection(de.deserialize('t', Uint8Array.from([0, 0, 1])));
    expect([e.reason, e.offset]).toEqual(['truncated', 3]);
    const empty = await rejection(de.deserialize('t', new Uint8Array()));
    expect([empty.reason, empty.offset]).toEqual(['truncated', 0]);
  });

  it('unknown schema id: offset 1, the id, and the registry error as cause', async () => {
    const de = deserializer('AVRO', { client: new FakeRegistry() });
    const e = await rejection(de.deserialize('t', Uint8Array.from([0, 0, 0, 0x30, 0x39, 2])));
    expect(e.reason).toBe('unknown-schema-id');
    expect(e.offset).toBe(1);
    expect(e.schemaId).toBe(12345);
    expect((e.cause as SchemaRegistryError).isSchemaNotFound()).toBe(true);
  });

  it('registry failures other than not-found pass through unchanged', async () => {
    const reg = new FakeRegistry();
    const boom = new SchemaRegistryError({ message: 'down', kind: 'network' });
    reg.getSchemaById = async () => {
      throw boom;
    };
    const de = deserializer('AVRO', { client: reg });
    await expect(de.deserialize('t', Uint8Array.from([0, 0, 0, 0, 1, 2]))).rejects.toBe(boom);
  });

  it('truncated Avro payload: offset at the end of the message', async () => {
    const reg = new FakeRegistry();
    const bytes = await serializer('AVRO', { client: reg, schema: USER }).serialize('t', user);
    const cut = bytes.subarray(0, bytes.length - 4);
    const e = await rejection(deserializer('AVRO', { client: reg }).deserialize('t', cut));
    expect(e.reason).toBe('truncated');
    expect(e.offset).toBe(cut.length);
  });

  it('trailing bytes after an Avro record: offset of the first extra byte', async () => {
    const reg = new FakeRegistry();
    const bytes = await serializer('AVRO', { client: reg, schema: USER }).serialize('t', user);
    const longer = Buffer.concat([bytes, Buffer.from([1, 2])]);
    const e = await rejection(deserializer('AVRO', { client: reg }).deserialize('t', longer));
    expect([e.reason, e.offset]).toEqual(['invalid-payload', bytes.length]);
  });

  it('truncated Protobuf message-index array and payload', async () => {
    const reg = new FakeRegistry();
    const { id } = await reg.registerSchema('t-value', { schema: PROTO, schemaType: 'PROTOBUF' });
    const de = deserializer('PROTOBUF', { client: reg });
    // count 2 with one byte left: the count itself (offset 5) is impossible
    const e = await rejection(de.deserialize('t', Uint8Array.from([0, 0, 0, 0, id, 4, 2])));
    expect([e.reason, e.offset]).toEqual(['truncated', 5]);
    // count 2, index 1, then a varint whose continuation bit runs past the end (offset 8)
    const e1 = await rejection(de.deserialize('t', Uint8Array.from([0, 0, 0, 0, id, 4, 2, 0x80])));
    expect([e1.reason, e1.offset]).toEqual(['truncated', 8]);
    const ok = await serializer('PROTOBUF', { client: reg, schema: PROTO, messageType: 't.B' }).serialize(
      't',
      {
        cs: [{ s: 'hello', q: [1, 2, 3] }],
      },
    );
    const cut = ok.subarray(0, ok.length - 3);
    const e2 = await rejection(de.deserialize('t', cut));
    expect(e2.reason).toBe('truncated');
    expect(e2.offset).toBeGreaterThan(6);
    expect(e2.offset).toBeLessThanOrEqual(cut.length + 10);
  });

  it('Protobuf message index that names no message: offset of the array', async () => {
    const reg = new FakeRegistry();
    const { id } = await reg.registerSchema('t-value', { schema: PROTO, schemaType: 'PROTOBUF' });
    const de = deserializer('PROTOBUF', { client: reg });
    const e = await rejection(de.deserialize('t', Uint8Array.from([0, 0, 0, 0, id, 2, 10, 8, 1])));
    expect([e.reason, e.offset]).toEqual(['unknown-message-index', 5]);
    expect(e.message).toContain('[5]');
  });

  it('Avro record not matching its schema: field path, nothing registered twice, no bytes', async () => {
    const reg = new FakeRegistry();
    const ser = serializer('AVRO', { client: reg, schema: USER });
    const e = await rejection(ser.serialize('t', { ...user, address: { street: 'Main', zip: 'x' } }));
    expect(e.reason).toBe('value-mismatch');
    expect(e.fieldPath).toBe('/address/zip');
    expect(e.message).toContain('/address/zip');
    const missing = await rejection(ser.serialize('t', { id: 1, name: 'x', tags: [] }));
    expect(missing.fieldPath).toBe('/address');
    const badItem = await rejection(ser.serialize('t', { ...user, tags: ['ok', 3] }));
    expect(badItem.fieldPath).toBe('/tags/1');
  });

  it('JSON value not matching: JSON-pointer path including the missing property', async () => {
    const schema = JSON.stringify({
      type: 'object',
      properties: {
        lines: {
          type: 'array',
          items: { type: 'object', properties: { price: { type: 'number' } }, required: ['price'] },
        },
      },
    });
    const ser = serializer('JSON', { client: new FakeRegistry(), schema });
    const e = await rejection(ser.serialize('t', { lines: [{ price: 1 }, { price: 'x' }] }));
    expect([e.reason, e.fieldPath]).toEqual(['value-mismatch', '/lines/1/price']);
    const e2 = await rejection(ser.serialize('t', { lines: [{}] }));
    expect(e2.fieldPath).toBe('/lines/0/price');
    expect(e2.message).toContain('required');
  });

  it('Protobuf value not matching: field path, no silent coercion', async () => {
    const ser = serializer('PROTOBUF', { client: new FakeRegistry(), schema: PROTO, messageType: 't.B' });
    const e = await rejection(ser.serialize('t', { cs: [{ s: 'ok' }, { q: [1, 'two'] }] }));
    expect([e.reason, e.fieldPath]).toEqual(['value-mismatch', '/cs/1/q/1']);
    const e2 = await rejection(ser.serialize('t', { nope: 1 }));
    expect(e2.fieldPath).toBe('/nope');
    const e3 = await rejection(ser.serialize('t', { big: 1.5 }));
    expect(e3.fieldPath).toBe('/big');
  });

  it('invalid schema strings fail before anything is registered', async () => {
    for (const [format, schema] of [
      ['AVRO', '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]}'],
      ['AVRO', '{not json'],
      ['JSON', '{"type": "object", "properties": {"a": {"type": 42}}}'],
      ['JSON', '[1, 2'],
      ['PROTOBUF', 'syntax = "proto3"; message X { int32 a = ; }'],
      ['PROTOBUF', 'syntax = "proto3"; import "missing.proto"; message X { Missing m = 1; }'],
    ] as const) {
      const reg = new FakeRegistry();
      const e = await rejection(serializer(format, { client: reg, schema }).serialize('t', {}));
      expect(e.reason, `${format}: ${schema}`).toBe('invalid-schema');
      expect(reg.count('registerSchema')).toBe(0);
    }
  });

  it('a schema of another format under the id is refused', async () => {
    const reg = new FakeRegistry();
    const bytes = await serializer('AVRO', { client: reg, schema: USER }).serialize('t', user);
    const e = await rejection(deserializer('JSON', { client: reg }).deserialize('t', bytes));
    expect([e.reason, e.offset]).toEqual(['schema-type-mismatch', 1]);
  });

  it('conflicting options are refused up front', () => {
    const client = new FakeRegistry();
    expect(() => serializer('AVRO', { client })).toThrow(SerdeError);
    expect(() => serializer('AVRO', { client, schema: USER, useLatest: true, autoRegister: true })).toThrow(
      /choose one/,
    );
    expect(() => deserializer('JSON', { client, readerSchema: '{}' })).toThrow(/AVRO only/);
  });
});

describe('subject name strategies and schema-id modes', () => {
  it('names subjects like Confluent', () => {
    expect(subjectName('topic', { topic: 'orders', isKey: false, recordName: 'x.Y' })).toBe('orders-value');
    expect(subjectName('topic', { topic: 'orders', isKey: true, recordName: undefined })).toBe('orders-key');
    expect(subjectName('record', { topic: 'orders', isKey: false, recordName: 'x.Y' })).toBe('x.Y');
    expect(subjectName('topic-record', { topic: 'orders', isKey: true, recordName: 'x.Y' })).toBe(
      'orders-x.Y',
    );
    expect(() => subjectName('record', { topic: 'o', isKey: false, recordName: undefined })).toThrow(
      SerdeError,
    );
  });

  it('takes record names from each format', async () => {
    const reg = new FakeRegistry();
    await serializer('AVRO', { client: reg, schema: USER, subjectNameStrategy: 'record' }).serialize(
      't',
      user,
    );
    await serializer('PROTOBUF', {
      client: reg,
      schema: PROTO,
      messageType: 't.B.C',
      subjectNameStrategy: 'topic-record',
    }).serialize('t', { s: 'x' });
    await serializer('JSON', {
      client: reg,
      schema: '{"title": "Thing", "type": "object"}',
      subjectNameStrategy: 'record',
    }).serialize('t', {});
    await serializer('JSON', {
      client: reg,
      schema: '{"type": "string"}',
      isKey: true,
      subjectNameStrategy: ({ topic, isKey }) => `custom.${topic}.${isKey}`,
    }).serialize('t', 'k');
    expect(reg.calls.filter((c) => c.op === 'registerSchema').map((c) => c.arg)).toEqual([
      'test.User',
      't-t.B.C',
      'Thing',
      'custom.t.true',
    ]);
  });

  it('auto-registers once per subject, then reuses the id', async () => {
    const reg = new FakeRegistry();
    const ser = serializer('AVRO', { client: reg, schema: USER });
    const all = await Promise.all([1, 2, 3].map((i) => ser.serialize('t', { ...user, id: i })));
    await ser.serialize('other', user);
    expect(reg.count('registerSchema')).toBe(2);
    expect(new Set(all.map((b) => b.readUInt32BE(1))).size).toBe(1);
  });

  it('looks the schema up when auto-register is off, and fails if it is not registered', async () => {
    const reg = new FakeRegistry();
    const ser = serializer('AVRO', { client: reg, schema: USER, autoRegister: false });
    const e = await ser.serialize('t', user).catch((err: unknown) => err);
    expect((e as SchemaRegistryError).isSchemaNotFound()).toBe(true);
    const stored = reg.preload('t-value', { schema: USER }, 77);
    const bytes = await serializer('AVRO', { client: reg, schema: USER, autoRegister: false }).serialize(
      't',
      user,
    );
    expect(bytes.readUInt32BE(1)).toBe(stored.id);
    expect(reg.count('registerSchema')).toBe(0);
  });

  it('useLatest writes with the latest version; useSchemaId with the given id', async () => {
    const reg = new FakeRegistry();
    reg.preload('t-value', { schema: '"string"' }, 5);
    reg.preload('t-value', { schema: '"int"' }, 6);
    const latest = await serializer('AVRO', { client: reg, useLatest: true }).serialize('t', 42);
    expect(latest.toString('hex')).toBe('000000000654');
    const fixed = await serializer('AVRO', { client: reg, useSchemaId: 5 }).serialize('t', 'hi');
    expect(fixed.toString('hex')).toBe('0000000005046869');
  });
});

describe('Avro', () => {
  it('encodes records larger than the scratch buffer', async () => {
    const reg = new FakeRegistry();
    const ser = serializer('AVRO', { client: reg, schema: '{"type": "array", "items": "string"}' });
    const big = Array.from({ length: 3000 }, (_, i) => `item-${i}-${'x'.repeat(i % 50)}`);
    const bytes = await ser.serialize('t', big);
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    expect(await deserializer('AVRO', { client: reg }).deserialize('t', bytes)).toEqual(big);
    expect(
      await deserializer('AVRO', { client: reg }).deserialize('t', await ser.serialize('t', ['a'])),
    ).toEqual(['a']);
  });

  it('resolves writer to reader schema (added field with default, int → long promotion)', async () => {
    const reg = new FakeRegistry();
    const v1 = JSON.stringify({ type: 'record', name: 'E', fields: [{ name: 'n', type: 'int' }] });
    const v2 = JSON.stringify({
      type: 'record',
      name: 'E',
      fields: [
        { name: 'n', type: 'long' },
        { name: 'label', type: 'string', default: 'none' },
      ],
    });
    const bytes = await serializer('AVRO', { client: reg, schema: v1 }).serialize('t', { n: 7 });
    const de = deserializer('AVRO', { client: reg, readerSchema: v2 });
    expect(await de.deserialize('t', bytes)).toEqual({ n: 7, label: 'none' });
    expect(await deserializer('AVRO', { client: reg }).deserialize('t', bytes)).toEqual({ n: 7 });
  });

  it('refuses a reader schema that cannot read the writer', async () => {
    const reg = new FakeRegistry();
    const bytes = await serializer('AVRO', { client: reg, schema: '"string"' }).serialize('t', 'x');
    const e = await rejection(
      deserializer('AVRO', { client: reg, readerSchema: '"int"' }).deserialize('t', bytes),
    );
    expect(e.reason).toBe('invalid-schema');
  });

  it('round-trips int64 beyond 2^53 exactly as bigint', async () => {
    const reg = new FakeRegistry();
    const ser = serializer('AVRO', { client: reg, schema: '"long"' });
    const de = deserializer('AVRO', { client: reg });
    for (const v of [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n]) {
      const back = await de.deserialize('t', await ser.serialize('t', v));
      const safe = typeof v === 'bigint' && v <= 2n ** 53n - 1n && v >= -(2n ** 53n - 1n);
      expect(back, String(v)).toEqual(safe ? Number(v) : v);
    }
    // Known bytes: -1 is zig-zag 1; 2^63-1 is ten bytes.
    expect((await ser.serialize('t', -1)).subarray(5).toString('hex')).toBe('01');
    expect((await ser.serialize('t', 2n ** 63n - 1n)).subarray(5).toString('hex')).toBe(
      'feffffffffffffffff01',
    );
    await expect(ser.serialize('t', 2n ** 63n)).rejects.toThrow(SerdeError);
  });

  it('decimal: exact strings, rounding refused, fixed sign-extended', async () => {
    const reg = new FakeRegistry();
    const schema = JSON.stringify({ type: 'bytes', logicalType: 'decimal', precision: 5, scale: 2 });
    const ser = serializer('AVRO', { client: reg, schema });
    const de = deserializer('AVRO', { client: reg });
    expect(await de.deserialize('t', await ser.serialize('t', '1.5'))).toBe('1.50');
    expect(await de.deserialize('t', await ser.serialize('t', '-0.05'))).toBe('-0.05');
    expect((await ser.serialize('t', '1.27')).subarray(5).toString('hex')).toBe('027f');
    expect((await ser.serialize('t', '1.28')).subarray(5).toString('hex')).toBe('040080');
    await expect(ser.serialize('t', '1.234')).rejects.toThrow(SerdeError); // scale 2
    await expect(ser.serialize('t', '1234.5')).rejects.toThrow(SerdeError); // precision 5
    const fixed = JSON.stringify({
      type: 'fixed',
      name: 'F',
      size: 4,
      logicalType: 'decimal',
      precision: 8,
      scale: 0,
    });
    const fser = serializer('AVRO', { client: reg, schema: fixed });
    expect((await fser.serialize('t', '-2')).subarray(5).toString('hex')).toBe('fffffffe');
  });

  it('named-type references are parsed before the schema that uses them', async () => {
    const reg = new FakeRegistry();
    const money = JSON.stringify({
      type: 'record',
      name: 'Money',
      namespace: 'm',
      fields: [{ name: 'c', type: 'long' }],
    });
    reg.preload('m.Money', { schema: money });
    const order = JSON.stringify({
      type: 'record',
      name: 'Order',
      fields: [{ name: 'total', type: 'm.Money' }],
    });
    const ser = serializer('AVRO', {
      client: reg,
      schema: { schema: order, references: [{ name: 'm.Money', subject: 'm.Money', version: 1 }] },
    });
    const bytes = await ser.serialize('t', { total: { c: 5 } });
    expect(await deserializer('AVRO', { client: reg }).deserialize('t', bytes)).toEqual({ total: { c: 5 } });
    const noRef = await rejection(serializer('AVRO', { client: reg, schema: order }).serialize('t', {}));
    expect(noRef.reason).toBe('invalid-schema');
  });
});

describe('JSON Schema', () => {
  it('uses the 2020-12 dialect when the schema says so (unevaluatedProperties)', async () => {
    const schema = JSON.stringify({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { a: { type: 'integer' } },
      unevaluatedProperties: false,
    });
    const ser = serializer('JSON', { client: new FakeRegistry(), schema });
    const e = await rejection(ser.serialize('t', { a: 1, extra: true }));
    expect(e.fieldPath).toBe('/extra');
  });

  it('resolves $ref to referenced schemas by reference name', async () => {
    const reg = new FakeRegistry();
    reg.preload('address', {
      schemaType: 'JSON',
      schema: JSON.stringify({
        type: 'object',
        properties: { zip: { type: 'string', pattern: '^[0-9]{5}$' } },
      }),
    });
    const schema = JSON.stringify({ type: 'object', properties: { home: { $ref: 'address.json' } } });
    const ser = serializer('JSON', {
      client: reg,
      schema: { schema, references: [{ name: 'address.json', subject: 'address', version: 1 }] },
    });
    const bytes = await ser.serialize('t', { home: { zip: '12345' } });
    expect(bytes.subarray(5).toString()).toBe('{"home":{"zip":"12345"}}');
    const e = await rejection(ser.serialize('t', { home: { zip: 'abc' } }));
    expect(e.fieldPath).toBe('/home/zip');
    expect(await deserializer('JSON', { client: reg, validate: true }).deserialize('t', bytes)).toEqual({
      home: { zip: '12345' },
    });
  });

  it('validates on decode only when asked; bad JSON names its offset', async () => {
    const reg = new FakeRegistry();
    const { id } = await reg.registerSchema('t-value', {
      schemaType: 'JSON',
      schema: '{"type":"object","properties":{"n":{"type":"integer"}}}',
    });
    const msg = Buffer.concat([Buffer.from([0, 0, 0, 0, id]), Buffer.from('{"n":"x"}')]);
    expect(await deserializer('JSON', { client: reg }).deserialize('t', msg)).toEqual({ n: 'x' });
    const e = await rejection(deserializer('JSON', { client: reg, validate: true }).deserialize('t', msg));
    expect([e.reason, e.fieldPath]).toEqual(['value-mismatch', '/n']);
    const broken = Buffer.concat([Buffer.from([0, 0, 0, 0, id]), Buffer.from('{"n":1,}')]);
    const e2 = await rejection(deserializer('JSON', { client: reg }).deserialize('t', broken));
    expect([e2.reason, e2.offset]).toEqual(['invalid-payload', 12]);
  });
});

describe('Protobuf', () => {
  it('picks the first message by default and writes [0] as one byte', async () => {
    const reg = new FakeRegistry();
    const ser = serializer('PROTOBUF', { client: reg, schema: PROTO });
    const bytes = await ser.serialize('t', { x: 150 });
    // header, index byte 00, field 1 varint 150 = 08 96 01 (the protobuf docs' example)
    expect(bytes.toString('hex')).toBe('0000000001' + '00' + '089601');
    // proto3 fields at their default are not written, whether given or not
    expect((await ser.serialize('t', { x: 0 })).toString('hex')).toBe('000000000100');
  });

  it('round-trips nested messages at index [1, 0] with int64 as strings', async () => {
    const reg = new FakeRegistry();
    const ser = serializer('PROTOBUF', { client: reg, schema: PROTO, messageType: '.t.B' });
    const bytes = await ser.serialize('t', { cs: [{ s: 'a', q: [1, 2] }], big: '9223372036854775807' });
    expect(bytes.subarray(5, 7).toString('hex')).toBe('0202');
    const back = await deserializer('PROTOBUF', { client: reg }).deserialize('t', bytes);
    expect(back).toEqual({ cs: [{ s: 'a', q: [1, 2] }], big: '9223372036854775807' });
  });

  it('counts map-entry types and groups like protoc, ignoring comments and strings', async () => {
    // protoc (checked with confluent-kafka's Python _create_index_array): A's nested types are
    // [MEntry, G, B], so B is [0, 2] and the group G is [0, 1].
    const schema = `syntax = "proto2";
package q;
// message Fake { }
message A {
  /* message Fake2 { map<string,int32> x = 1; } */
  optional string s = 1 [default = "message X { }"];
  map<string, int32> m = 2;
  oneof o { int32 a = 3; string b = 4; }
  enum E { Z = 0; }
  optional group G = 5 { optional int32 g = 6; }
  message B { optional int32 x = 1; }
}`;
    const reg = new FakeRegistry();
    const b = await serializer('PROTOBUF', { client: reg, schema, messageType: 'q.A.B' }).serialize('t', {
      x: 1,
    });
    expect(b.subarray(5, 8).toString('hex')).toBe('040004');
    const g = await serializer('PROTOBUF', { client: reg, schema, messageType: 'q.A.G' }).serialize('t', {
      g: 1,
    });
    expect(g.subarray(5, 8).toString('hex')).toBe('040002');
    expect(await deserializer('PROTOBUF', { client: reg }).deserialize('t', b)).toEqual({ x: 1 });
  });

  it('refuses a message type the schema does not declare', async () => {
    const ser = serializer('PROTOBUF', { client: new FakeRegistry(), schema: PROTO, messageType: 't.Nope' });
    const e = await rejection(ser.serialize('t', {}));
    expect(e.reason).toBe('invalid-options');
  });
});

describe('caching', () => {
  it('fetches and compiles each schema id once, even under concurrent decodes', async () => {
    const reg = new FakeRegistry();
    const bytes = await serializer('AVRO', { client: reg, schema: USER }).serialize('t', user);
    const de = deserializer('AVRO', { client: reg });
    const out = await Promise.all(Array.from({ length: 20 }, () => de.deserialize('t', bytes)));
    expect(out).toHaveLength(20);
    await de.deserialize('t', bytes);
    expect(reg.count('getSchemaById')).toBe(1);
  });

  it('does not cache failures', async () => {
    const reg = new FakeRegistry();
    const de = deserializer('AVRO', { client: reg });
    const msg = Uint8Array.from([0, 0, 0, 0, 9, 2, 0x41]);
    await expect(de.deserialize('t', msg)).rejects.toThrow(SerdeError);
    reg.preload('s', { schema: '"string"' }, 9);
    expect(await de.deserialize('t', msg)).toBe('A');
  });
});
