/**
 * In-process cross-checks against the two JavaScript serdes in the ecosystem, all three reading
 * the same registry (FakeRegistry over HTTP, same ids): @confluentinc/schemaregistry and
 * @kafkajs/confluent-schema-registry must write the same Avro and JSON bytes as lakekit and read
 * lakekit's bytes back; @confluentinc's Protobuf deserializer must find lakekit's message types
 * through the message-index array.
 *
 * kafkajs's Protobuf is left out on purpose: it writes NO message-index array. For message `A`
 * (index [0]) of `message A { int32 x = 1; }` with x = 150 and schema id 43 it writes
 *   00 0000002b 089601        (kafkajs 4.1.0)
 * where Confluent's Java/Go/Python serializers and lakekit write
 *   00 0000002b 00 089601     (index [0] as one 0 byte)
 * so each side misreads the other's messages (kafkajs reading ours fails with "invalid wire type 4
 * at offset 1"). lakekit follows Confluent, proven by test/registry/serdes.vectors.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AvroDeserializer,
  AvroSerializer,
  SchemaRegistryClient as ConfluentClient,
  JsonDeserializer,
  JsonSerializer,
  ProtobufDeserializer,
  SerdeType,
} from '@confluentinc/schemaregistry';
import { SchemaRegistry as KafkajsRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deserializer, serializer } from '../../src/registry/serdes/index.js';
import { FakeRegistry, type VectorFile } from '../fixtures/registry/fake-registry.js';

const AVRO = JSON.stringify({
  type: 'record',
  name: 'Reading',
  namespace: 'interop',
  fields: [
    { name: 'sensor', type: 'string' },
    { name: 'seq', type: 'long' },
    { name: 'value', type: 'double' },
    { name: 'ok', type: 'boolean' },
    { name: 'unit', type: ['null', 'string'], default: null },
    { name: 'level', type: { type: 'enum', name: 'Level', symbols: ['LOW', 'HIGH'] } },
    { name: 'samples', type: { type: 'array', items: 'int' } },
    { name: 'labels', type: { type: 'map', values: 'string' } },
    { name: 'raw', type: 'bytes' },
  ],
});
const AVRO_RECORDS = [
  {
    sensor: 'tü-1',
    seq: 1234567890123,
    value: -0.1,
    ok: true,
    unit: 'kPa',
    level: 'HIGH',
    samples: [1, -2, 300000],
    labels: { site: 'a', row: '7' },
    raw: Buffer.from([0, 255, 10]),
  },
  {
    sensor: '',
    seq: -1,
    value: 1e300,
    ok: false,
    unit: null,
    level: 'LOW',
    samples: [],
    labels: {},
    raw: Buffer.alloc(0),
  },
];
const JSON_SCHEMA = JSON.stringify({
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['id'],
});
const JSON_RECORDS = [{ id: 1, name: 'Zoë 🚀', tags: ['x'] }, { id: -5 }];

const reg = new FakeRegistry();
let server: { url: string; close(): Promise<void> };
let confluent: ConfluentClient;
let kafkajs: KafkajsRegistry;
const AVRO_ID = 101;
const JSON_ID = 102;

beforeAll(async () => {
  server = await reg.listen();
  reg.preload('interop-value', { schema: AVRO }, AVRO_ID);
  reg.preload('interop-json-value', { schema: JSON_SCHEMA, schemaType: 'JSON' }, JSON_ID);
  confluent = new ConfluentClient({ baseURLs: [server.url] });
  kafkajs = new KafkajsRegistry({ host: server.url });
});
afterAll(async () => {
  await server.close();
});

describe('Avro: lakekit = @confluentinc/schemaregistry = @kafkajs/confluent-schema-registry', () => {
  for (const [i, record] of AVRO_RECORDS.entries()) {
    it(`record ${i}: same bytes, and each reads the others'`, async () => {
      const ours = await serializer('AVRO', { client: reg, schema: AVRO, autoRegister: false }).serialize(
        'interop',
        record,
      );
      const theirs = await new AvroSerializer(confluent, SerdeType.VALUE, {
        useLatestVersion: true,
      }).serialize('interop', record);
      const kj = await kafkajs.encode(AVRO_ID, record);
      expect(ours.readUInt32BE(1)).toBe(AVRO_ID);
      expect(ours.toString('hex')).toBe(theirs.toString('hex'));
      expect(ours.toString('hex')).toBe(kj.toString('hex'));

      const de = deserializer('AVRO', { client: reg });
      expect(await de.deserialize('interop', theirs)).toEqual(record);
      expect(await new AvroDeserializer(confluent, SerdeType.VALUE, {}).deserialize('interop', ours)).toEqual(
        record,
      );
      expect(await kafkajs.decode(ours)).toEqual(record);
    });
  }
});

describe('JSON Schema: lakekit = @confluentinc/schemaregistry = @kafkajs/confluent-schema-registry', () => {
  for (const [i, record] of JSON_RECORDS.entries()) {
    it(`record ${i}: same bytes, and each reads the others'`, async () => {
      const ours = await serializer('JSON', {
        client: reg,
        schema: JSON_SCHEMA,
        autoRegister: false,
      }).serialize('interop-json', record);
      const theirs = await new JsonSerializer(confluent, SerdeType.VALUE, {
        useLatestVersion: true,
      }).serialize('interop-json', record);
      const kj = await kafkajs.encode(JSON_ID, record);
      expect(ours.toString('hex')).toBe(theirs.toString('hex'));
      expect(ours.toString('hex')).toBe(kj.toString('hex'));
      expect(await deserializer('JSON', { client: reg }).deserialize('interop-json', theirs)).toEqual(record);
      expect(
        await new JsonDeserializer(confluent, SerdeType.VALUE, {}).deserialize('interop-json', ours),
      ).toEqual(record);
      expect(await kafkajs.decode(ours)).toEqual(record);
    });
  }
});

describe('Protobuf: @confluentinc/schemaregistry reads lakekit’s message indexes', () => {
  const file = JSON.parse(
    readFileSync(join(import.meta.dirname, '..', 'fixtures', 'registry', 'vectors.json'), 'utf8'),
  ) as VectorFile;
  // Left out: proto-index-after-map. Confluent's Python (and protoc) count the synthetic entry type
  // of a map field among nested types, so Inventory.Bin is [3, 1] (bytes 04 06 02 after the id);
  // @confluentinc/schemaregistry 1.10.1 does not count it and fails on those bytes with "message
  // index 1 out of range, message has 1 nested message(s)". lakekit follows protoc (vector test).
  for (const v of file.vectors.filter((x) => x.format === 'PROTOBUF' && x.name !== 'proto-index-after-map')) {
    it(`${v.name}: decoded as ${v.messageType}`, async () => {
      // A registry holding the schemas as Python registered them (base64 descriptors), which is
      // the form @confluentinc's Protobuf deserializer parses.
      const pyReg = new FakeRegistry();
      for (const ref of v.references) {
        const s = v.referenceSchemas?.[ref.name];
        if (s?.registered) pyReg.preload(ref.subject, { schema: s.registered, schemaType: 'PROTOBUF' });
      }
      pyReg.preload(
        v.subject,
        { schema: v.registeredSchema as string, schemaType: 'PROTOBUF', references: v.references },
        v.schemaId,
      );
      const srv = await pyReg.listen();
      try {
        const ours = await serializer('PROTOBUF', {
          client: pyReg,
          useSchemaId: v.schemaId,
          messageType: v.messageType as string,
        }).serialize(v.topic, v.value);
        const client = new ConfluentClient({ baseURLs: [srv.url] });
        const msg = (await new ProtobufDeserializer(client, SerdeType.VALUE, {}).deserialize(
          v.topic,
          ours,
        )) as {
          $typeName: string;
        } & Record<string, unknown>;
        expect(msg.$typeName).toBe(v.messageType);
        const first = Object.entries(v.value as Record<string, unknown>)[0] as [string, unknown];
        // bufbuild names fields in lowerCamelCase; the first field of each vector is a scalar or message.
        const camel = first[0].replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
        if (typeof first[1] !== 'object') expect(String(msg[camel])).toBe(String(first[1]));
        else expect(msg[camel]).toBeTruthy();
      } finally {
        await srv.close();
      }
    });
  }
});
