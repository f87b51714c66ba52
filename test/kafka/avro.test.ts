/**
 * `decodeAvroDebeziumEvent` with a stand-in deserializer: decoded objects become the same envelopes
 * as JSON events, null values are tombstones without a registry lookup, keys without a key
 * deserializer pass through as bytes, and a decode failure names the record.
 */
import { describe, expect, it } from 'vitest';
import { decodeAvroDebeziumEvent, decodeAvroDebeziumEvents, KafkaError } from '../../src/kafka/index.js';

const envelope = {
  op: 'c',
  before: null,
  after: { id: 7, name: 'Ada' },
  source: { connector: 'postgresql', snapshot: 'false', lsn: 42, table: 'customers' },
  ts_ms: 1,
  transaction: null,
};
// Stand-in for lakekit/registry's Avro deserializer: the first byte picks what it "decodes" to.
const calls: string[] = [];
const fake = {
  async deserialize(topic: string, bytes: Uint8Array): Promise<unknown> {
    calls.push(`${topic}:${bytes[0]}`);
    if (bytes[0] === 1) return { ...envelope };
    if (bytes[0] === 2) return { id: 7 };
    throw new Error('unknown schema id');
  },
};
const rec = (key: Buffer | null, value: Buffer | null) => ({
  topic: 't',
  partition: 0,
  offset: '5',
  key,
  value,
});

describe('decodeAvroDebeziumEvent', () => {
  it('turns decoded key and value objects into a Debezium change event', async () => {
    const e = await decodeAvroDebeziumEvent(rec(Buffer.from([2]), Buffer.from([1])), {
      key: fake,
      value: fake,
    });
    expect(e).toMatchObject({
      kind: 'change',
      op: 'c',
      key: { id: 7 },
      after: { id: 7, name: 'Ada' },
      snapshot: false,
    });
  });

  it('reads a null value as a tombstone without calling the deserializer for it', async () => {
    calls.length = 0;
    const e = await decodeAvroDebeziumEvent(rec(Buffer.from([2]), null), { key: fake, value: fake });
    expect(e).toEqual({ kind: 'tombstone', key: { id: 7 } });
    expect(calls).toEqual(['t:2']);
  });

  it('passes a JSON key through when there is no key deserializer', async () => {
    const [e] = await decodeAvroDebeziumEvents([rec(Buffer.from('{"id":7}'), Buffer.from([1]))], {
      value: fake,
    });
    expect(e?.key).toEqual({ id: 7 });
  });

  it('names topic, partition and offset when the bytes cannot be decoded', async () => {
    const err = await decodeAvroDebeziumEvent(rec(null, Buffer.from([9])), { value: fake }).catch(
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(KafkaError);
    expect((err as KafkaError).message).toMatch(
      /Avro value at t\[0\]@5 could not be decoded: unknown schema id/,
    );
    expect((err as KafkaError).kind).toBe('protocol');
  });
});
