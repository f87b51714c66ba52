/**
 * Debezium change events written by an Avro converter (Confluent's, or Apicurio's in its
 * Confluent-compatible wire format): the key and value bytes are decoded by a schema-registry
 * deserializer — lakekit/registry's `deserializer('AVRO', { client })` or anything with the same
 * `deserialize(topic, bytes)` — and the resulting objects go through the one envelope decoder,
 * `decodeDebeziumEvent`, so Avro and JSON topics yield the same `DebeziumEvent` shapes. Decoding is
 * asynchronous (a schema may have to be fetched once), so this runs after `consumeUntil`/`collect`
 * has gathered the raw records, not as their synchronous `decode` hook.
 */
import type { ConsumedRecord } from './consume.js';
import { type DebeziumEvent, decodeDebeziumEvent, type RawPart } from './debezium.js';
import { KafkaError } from './errors.js';

/** The part of a registry deserializer this module needs (lakekit/registry's `Deserializer` fits). */
export interface RecordDeserializer {
  deserialize(topic: string, bytes: Uint8Array): Promise<unknown>;
}

export interface AvroDebeziumOptions {
  /** Decodes record values (the Debezium envelope). */
  value: RecordDeserializer;
  /**
   * Decodes record keys when the key converter is Avro too; without it the key bytes are handed
   * to `decodeDebeziumEvent` as they are (JSON or string keys).
   */
  key?: RecordDeserializer;
}

type RecordLike = Pick<ConsumedRecord, 'key' | 'value'> &
  Partial<Pick<ConsumedRecord, 'topic' | 'partition' | 'offset'>>;

/**
 * Decodes one Avro-encoded Debezium record into a `DebeziumEvent`. A null value is a tombstone
 * (Debezium writes it after a delete, with no schema id to look up).
 * @throws KafkaError (`protocol`) naming topic/partition/offset when the bytes cannot be decoded.
 */
export async function decodeAvroDebeziumEvent<Row = Record<string, unknown>>(
  record: RecordLike,
  opts: AvroDebeziumOptions,
): Promise<DebeziumEvent<Row>> {
  const topic = record.topic ?? '';
  const where = record.topic ? ` at ${record.topic}[${record.partition ?? '?'}]@${record.offset ?? '?'}` : '';
  const decode = async (
    part: Buffer | null,
    d: RecordDeserializer | undefined,
    which: string,
  ): Promise<RawPart> => {
    if (part === null || part.length === 0) return null;
    if (!d) return part;
    try {
      return (await d.deserialize(topic, part)) as RawPart;
    } catch (cause) {
      throw new KafkaError({
        message: `kafka: Avro ${which}${where} could not be decoded: ${(cause as Error)?.message ?? String(cause)}`,
        kind: 'protocol',
        ...(record.topic ? { topic: record.topic } : {}),
        cause,
      });
    }
  };
  const [key, value] = await Promise.all([
    decode(record.key, opts.key, 'key'),
    decode(record.value, opts.value, 'value'),
  ]);
  return decodeDebeziumEvent<Row>({
    key,
    value,
    ...(record.topic !== undefined ? { topic: record.topic } : {}),
    ...(record.partition !== undefined ? { partition: record.partition } : {}),
    ...(record.offset !== undefined ? { offset: record.offset } : {}),
  });
}

/** `decodeAvroDebeziumEvent` over a batch, in order. */
export async function decodeAvroDebeziumEvents<Row = Record<string, unknown>>(
  records: readonly RecordLike[],
  opts: AvroDebeziumOptions,
): Promise<DebeziumEvent<Row>[]> {
  const out: DebeziumEvent<Row>[] = [];
  // Sequential on purpose: the first record fetches the schema, the rest hit the client's cache.
  for (const r of records) out.push(await decodeAvroDebeziumEvent<Row>(r, opts));
  return out;
}
