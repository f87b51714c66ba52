/**
 * Serdes against the stack's registry, both directions with another implementation:
 *   - confluent-kafka (Python, `$LAKEKIT_PYTHON`) writes Avro, JSON Schema and Protobuf messages
 *     against the live registry (scripts/fixtures/registry/generate.py --registry); lakekit reads
 *     them through its registry client and writes the same bytes for the same values;
 *   - lakekit registers and writes; confluent-kafka's deserializers read lakekit's bytes.
 * Subjects carry a unique suffix and are deleted afterwards.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSchemaRegistryClient, type SchemaRegistryClient } from '../../src/registry/client.js';
import { deserializer, serializer } from '../../src/registry/serdes/index.js';
import { revive, type Vector, type VectorFile } from '../fixtures/registry/fake-registry.js';
import { describeLive, env, ROOT, uniqueName } from '../support/live.js';

const run = promisify(execFile);

describeLive(['registry', 'python'], 'registry serdes (live, with confluent-kafka)', () => {
  let client: SchemaRegistryClient;
  let url: string;
  let python: string;
  const suffix = `-${uniqueName('lk')}`;
  const subjects = new Set<string>();
  let vectors: Vector[] = [];

  beforeAll(async () => {
    url = env('LAKEKIT_REGISTRY_URL');
    python = env('LAKEKIT_PYTHON');
    client = createSchemaRegistryClient({ baseUrl: url });
    const dir = await mkdtemp(join(tmpdir(), 'lakekit-serdes-'));
    try {
      const out = join(dir, 'vectors.json');
      await run(
        python,
        [
          join(ROOT, 'scripts', 'fixtures', 'registry', 'generate.py'),
          '--registry',
          url,
          `--suffix=${suffix}`, // '=': the suffix starts with '-'
          '--out',
          out,
        ],
        { timeout: 120_000 },
      );
      vectors = (JSON.parse(await readFile(out, 'utf8')) as VectorFile).vectors;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    for (const v of vectors) {
      subjects.add(v.subject);
      for (const r of v.references) if (r.subject.endsWith(suffix)) subjects.add(r.subject);
    }
  });

  afterAll(async () => {
    // Dependents first: referenced subjects cannot be deleted while referenced.
    const referenced = new Set(vectors.flatMap((v) => v.references.map((r) => r.subject)));
    const ordered = [...subjects].sort((a, b) => Number(referenced.has(a)) - Number(referenced.has(b)));
    for (const s of ordered)
      await client?.deleteSubject(s, { permanent: true, softFirst: true }).catch(() => undefined);
  });

  it('reads every message confluent-kafka wrote against the live registry', async () => {
    expect(vectors.length).toBeGreaterThanOrEqual(10);
    for (const v of vectors) {
      const de = deserializer(v.format, {
        client,
        ...(v.format === 'PROTOBUF' ? { conversion: { longs: String, enums: String, bytes: String } } : {}),
      });
      const value = await de.deserialize(v.topic, Buffer.from(v.hex, 'hex'));
      expect(value, v.name).toEqual(revive(v.decoded ?? v.value));
    }
  });

  it('writes the same bytes as confluent-kafka for the same values and subjects', async () => {
    for (const v of vectors.filter((x) => x.name !== 'avro-decimal-minimal-bytes')) {
      // Protobuf: Python registered a descriptor, lakekit would register .proto text (another
      // schema to the registry), so write with the subject's latest version instead.
      const ser =
        v.format === 'PROTOBUF'
          ? serializer('PROTOBUF', { client, useLatest: true, messageType: v.messageType as string })
          : serializer(v.format, {
              client,
              schema: { schema: v.schema, schemaType: v.format, references: v.references },
              subjectNameStrategy: v.strategy,
              isKey: v.isKey,
            });
      const bytes = await ser.serialize(v.topic, revive(v.value));
      expect(bytes.toString('hex'), v.name).toBe(v.hex);
    }
  });

  it('confluent-kafka reads what lakekit registered and wrote', async () => {
    const topic = `lakekit-serdes-live${suffix}`;
    const avroSchema = JSON.stringify({
      type: 'record',
      name: 'Live',
      namespace: 'lakekit.live',
      fields: [
        { name: 'id', type: 'long' },
        { name: 'name', type: 'string' },
        { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 8, scale: 2 } },
        { name: 'note', type: ['null', 'string'], default: null },
      ],
    });
    const avroBytes = await serializer('AVRO', { client, schema: avroSchema }).serialize(topic, {
      id: 2 ** 40,
      name: 'Grüße',
      amount: '-12.34',
      note: null,
    });
    const jsonTopic = `${topic}-json`;
    const jsonBytes = await serializer('JSON', {
      client,
      schema:
        '{"type":"object","properties":{"n":{"type":"integer"},"s":{"type":"string"}},"required":["n"]}',
    }).serialize(jsonTopic, { n: 7, s: 'ok' });
    subjects.add(`${topic}-value`);
    subjects.add(`${jsonTopic}-value`);

    const script = `
import json, sys
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.serialization import SerializationContext, MessageField
url, topic, avro_hex, json_topic, json_hex = sys.argv[1:]
c = SchemaRegistryClient({"url": url})
a = AvroDeserializer(c)(bytes.fromhex(avro_hex), SerializationContext(topic, MessageField.VALUE))
j = JSONDeserializer(None, schema_registry_client=c)(bytes.fromhex(json_hex), SerializationContext(json_topic, MessageField.VALUE))
print(json.dumps({"avro": {**a, "amount": str(a["amount"])}, "json": j}))
`;
    const { stdout } = await run(
      python,
      ['-c', script, url, topic, avroBytes.toString('hex'), jsonTopic, jsonBytes.toString('hex')],
      { timeout: 60_000 },
    );
    expect(JSON.parse(stdout)).toEqual({
      avro: { id: 2 ** 40, name: 'Grüße', amount: '-12.34', note: null },
      json: { n: 7, s: 'ok' },
    });
  });
});
