/**
 * Cross-implementation proof: test/fixtures/registry/vectors.json holds messages written by the
 * confluent-kafka Python client's serializers (scripts/fixtures/registry/generate.py). lakekit must
 * write the same bytes for the same value, schema and id, and read those bytes back to the value.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deserializer, serializer } from '../../src/registry/serdes/index.js';
import { FakeRegistry, revive, type Vector, type VectorFile } from '../fixtures/registry/fake-registry.js';

const file = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'registry', 'vectors.json'), 'utf8'),
) as VectorFile;
const byName = (name: string): Vector => {
  const v = file.vectors.find((x) => x.name === name);
  if (!v) throw new Error(`no vector ${name}`);
  return v;
};

/** A registry holding the vector's references and its schema under the vector's id and subject. */
function registryFor(v: Vector, form: 'text' | 'registered' = 'text'): FakeRegistry {
  const reg = new FakeRegistry();
  for (const ref of v.references) {
    const s = v.referenceSchemas?.[ref.name];
    if (!s) continue; // well-known types: bundled, not registered
    const text = form === 'registered' && s.registered ? s.registered : s.text;
    const stored = reg.preload(ref.subject, { schema: text, schemaType: v.format });
    expect(stored.version).toBe(ref.version);
  }
  const schema = form === 'registered' && v.registeredSchema ? v.registeredSchema : v.schema;
  reg.preload(v.subject, { schema, schemaType: v.format, references: v.references }, v.schemaId);
  return reg;
}

function serializerFor(v: Vector, reg: FakeRegistry) {
  return serializer(v.format, {
    client: reg,
    schema: { schema: v.schema, schemaType: v.format, references: v.references },
    subjectNameStrategy: v.strategy,
    isKey: v.isKey,
    ...(v.messageType ? { messageType: v.messageType } : {}),
  });
}

describe('test vectors from confluent-kafka (Python)', () => {
  it('has vectors of every format, produced by the Python client', () => {
    expect(file.producedBy['confluent-kafka']).toMatch(/^\d+\.\d+/);
    const formats = new Set(file.vectors.map((v) => v.format));
    expect([...formats].sort()).toEqual(['AVRO', 'JSON', 'PROTOBUF']);
  });

  const exact = file.vectors.filter((v) => v.name !== 'avro-decimal-minimal-bytes');
  for (const v of exact) {
    it(`${v.name}: encodes byte for byte, under the same subject and id`, async () => {
      const reg = registryFor(v);
      const bytes = await serializerFor(v, reg).serialize(v.topic, revive(v.value));
      expect(bytes.toString('hex')).toBe(v.hex);
      // The subject strategy picked the subject the Python client registered under.
      expect(reg.calls.filter((c) => c.op === 'registerSchema').map((c) => c.arg)).toEqual([v.subject]);
    });

    it(`${v.name}: decodes the Python bytes to the value`, async () => {
      const reg = registryFor(v);
      const de = deserializer(v.format, {
        client: reg,
        ...(v.format === 'PROTOBUF' ? { conversion: { longs: String, enums: String, bytes: String } } : {}),
      });
      const value = await de.deserialize(v.topic, Buffer.from(v.hex, 'hex'));
      expect(value).toEqual(revive(v.decoded ?? v.value));
    });
  }

  describe('Protobuf schemas as the Python client registered them (base64 FileDescriptorProto)', () => {
    for (const v of file.vectors.filter((x) => x.format === 'PROTOBUF')) {
      it(`${v.name}: decodes and re-encodes with the registered descriptor`, async () => {
        expect(v.registeredSchema).toMatch(/^[A-Za-z0-9+/]+=*$/);
        const reg = registryFor(v, 'registered');
        const value = await deserializer('PROTOBUF', {
          client: reg,
          conversion: { longs: String, enums: String, bytes: String },
        }).deserialize(v.topic, Buffer.from(v.hex, 'hex'));
        expect(value).toEqual(v.decoded ?? v.value);
        const bytes = await serializer('PROTOBUF', {
          client: reg,
          useSchemaId: v.schemaId,
          messageType: v.messageType as string,
        }).serialize(v.topic, v.value);
        expect(bytes.toString('hex')).toBe(v.hex);
      });
    }
  });

  it('message indexes: [0] is one 0 byte, deeper paths are zig-zag count + indexes', () => {
    const header = (name: string) => byName(name).hex.slice(10, 10 + 8);
    expect(byName('proto-index-0').messageIndexes).toEqual([0]);
    expect(header('proto-index-0').slice(0, 2)).toBe('00');
    expect(header('proto-index-1-nested').slice(0, 4)).toBe('0202');
    expect(header('proto-index-1-0').slice(0, 6)).toBe('040200');
    expect(header('proto-index-2-0-0').slice(0, 8)).toBe('06040000');
  });

  it('decimal with unscaled -128: lakekit writes Java’s minimal 0x80, fastavro 0xff80; both read as -1.28', async () => {
    const v = byName('avro-decimal-minimal-bytes');
    // Python (fastavro) bytes: header, then length 2 (zig-zag 0x04), then ff 80.
    expect(v.hex).toBe('000102030504ff80');
    const reg = registryFor(v);
    const de = deserializer('AVRO', { client: reg });
    expect(await de.deserialize(v.topic, Buffer.from(v.hex, 'hex'))).toEqual({ d: '-1.28' });
    const ours = await serializerFor(v, reg).serialize(v.topic, { d: '-1.28' });
    // Java's Conversions.DecimalConversion writes BigInteger.toByteArray(): one byte 0x80 for -128.
    expect(ours.toString('hex')).toBe('00010203050280');
    expect(await de.deserialize(v.topic, ours)).toEqual({ d: '-1.28' });
  });
});
