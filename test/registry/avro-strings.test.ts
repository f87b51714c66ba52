/**
 * Avro strings and map keys, which lakekit reads and writes itself when they are short and ASCII
 * (`avro.ts`, `readString` / `writeShortAscii`) and leaves to avsc otherwise: every length and
 * character class must give avsc's bytes and values, and truncated input the same typed error.
 */
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { deserializer, SerdeError, serializer } from '../../src/registry/serdes/index.js';
import { FakeRegistry } from '../fixtures/registry/fake-registry.js';

const SCHEMA = {
  type: 'record',
  name: 'S',
  namespace: 't',
  fields: [
    { name: 's', type: 'string' },
    // Java-generated schemas spell strings as objects; they get the same string type.
    { name: 'j', type: { type: 'string', 'avro.java.string': 'String' } },
    { name: 'm', type: { type: 'map', values: 'string' } },
    { name: 'a', type: { type: 'array', items: 'string' } },
    { name: 'u', type: ['null', 'string'], default: null },
  ],
};

const STRINGS = [
  '',
  'a',
  'abcdefg',
  'abcdefgh',
  'abcdefghi',
  'x'.repeat(31),
  'x'.repeat(32),
  'x'.repeat(33),
  'x'.repeat(200),
  'héllo',
  `${'x'.repeat(9)}é`,
  `${'y'.repeat(40)}ü`,
  '😀',
  '日本語のテキスト',
  '\u0000\u007f',
  '__proto__',
];

async function setup() {
  const reg = new FakeRegistry();
  const schema = JSON.stringify(SCHEMA);
  const { id } = await reg.registerSchema('t-value', { schema });
  return {
    id,
    ser: serializer('AVRO', { client: reg, schema, autoRegister: false }),
    de: deserializer('AVRO', { client: reg }),
    // avsc alone, for the reference bytes and values.
    ref: avro.Type.forSchema(SCHEMA as avro.Schema),
  };
}

describe('Avro strings and map keys', () => {
  it('writes the bytes avsc writes and reads back the same strings, for every length and script', async () => {
    const { ser, de, ref } = await setup();
    for (const [i, s] of STRINGS.entries()) {
      const other = STRINGS[(i + 5) % STRINGS.length] as string;
      const value = { s, j: other, m: { [s]: other, k: s }, a: [s, other, s], u: i % 2 ? s : null };
      const bytes = await ser.serialize('t', value);
      expect(bytes.subarray(5).equals(ref.toBuffer(value)), `string ${JSON.stringify(s)}`).toBe(true);
      const back = (await de.deserialize('t', bytes)) as Record<string, unknown>;
      // avsc itself turns a `__proto__` key into the map's prototype; lakekit keeps it (next test).
      if (s !== '__proto__')
        expect({ ...back }, `string ${JSON.stringify(s)}`).toStrictEqual({
          ...ref.fromBuffer(bytes.subarray(5)),
        });
      expect(back.s).toBe(s);
      expect(Object.keys(back.m as object)).toContain(s);
      expect((back.m as Record<string, unknown>)[s]).toBe(other);
    }
  });

  it('grows the encode buffer in the middle of short strings (records larger than its 16 KiB)', async () => {
    const { ser, de, ref } = await setup();
    const many = Array.from({ length: 6000 }, (_, i) => `s${i}`);
    const m = Object.fromEntries(many.map((k) => [k, k]));
    const value = { s: 'x', j: 'y', m, a: many, u: 'z' };
    const bytes = await ser.serialize('t', value);
    expect(bytes.length).toBeGreaterThan(64 * 1024);
    expect(bytes.subarray(5).equals(ref.toBuffer(value))).toBe(true);
    expect({ ...((await de.deserialize('t', bytes)) as object) }).toStrictEqual(value);
  });

  it('keeps a __proto__ map key as an own entry', async () => {
    const { ser, de } = await setup();
    const m = JSON.parse('{"__proto__":"v","x":"w"}') as Record<string, string>;
    const back = (await de.deserialize(
      't',
      await ser.serialize('t', { s: '', j: '', m, a: [], u: null }),
    )) as {
      m: Record<string, string>;
    };
    expect(Object.getPrototypeOf(back.m)).toBe(Object.prototype);
    expect(Object.entries(back.m)).toStrictEqual([
      ['__proto__', 'v'],
      ['x', 'w'],
    ]);
  });

  it('reads invalid UTF-8 as avsc does (U+FFFD), short or long', async () => {
    const { id, de, ref } = await setup();
    for (const raw of [
      [0x61, 0xff, 0x62],
      [...Array(40).fill(0x61), 0xc3],
    ]) {
      const str = Buffer.from([raw.length * 2, ...raw]); // zig-zag length, then the bytes
      const payload = Buffer.concat([str, Buffer.from([0, 0, 0, 0])]); // s; j "", m {}, a [], u null
      const msg = Buffer.concat([Buffer.from([0, 0, 0, 0, id]), payload]);
      const back = (await de.deserialize('t', msg)) as { s: string };
      expect(back.s).toBe((ref.fromBuffer(payload) as { s: string }).s);
      expect(back.s).toContain('\ufffd');
    }
  });

  it('fails on a string or map key running past the end, naming the end of the message', async () => {
    const { id, ser, de } = await setup();
    const full = await ser.serialize('t', { s: 'abcdef', j: 'x', m: { key: 'value' }, a: ['q'], u: 'z' });
    expect(full[4]).toBe(id);
    for (let cut = 6; cut < full.length; cut++) {
      const e = await de.deserialize('t', full.subarray(0, cut)).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e, `cut at ${cut}`).toBeInstanceOf(SerdeError);
      expect((e as SerdeError).reason).toBe('truncated');
      expect((e as SerdeError).offset).toBe(cut);
    }
  });

  it('rejects non-string values with the field path', async () => {
    const { ser } = await setup();
    const e = await ser.serialize('t', { s: 'ok', j: 'ok', m: { k: 5 }, a: [], u: null }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SerdeError);
    expect((e as SerdeError).fieldPath).toBe('/m/k');
  });
});
