import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  collect,
  consumerGroupLag,
  consumeUntil,
  countRecords,
  createKafka,
  deleteTopics,
  endOffsets,
  ensureTopics,
  KafkaError,
  listTopics,
  waitForTopic,
} from '../../src/kafka/index.js';
import { describeLive, env, uniqueName } from '../support/live.js';

describeLive(['kafka'], 'Kafka helpers (live)', () => {
  const topic = uniqueName('lk_topic');
  const group = uniqueName('lk_group');
  let kafka: ReturnType<typeof createKafka>;

  beforeAll(() => {
    kafka = createKafka({ brokers: env('LAKEKIT_KAFKA_BROKERS') });
  });
  afterAll(async () => {
    if (!kafka) return;
    await deleteTopics(kafka, [topic]).catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.disconnect();
  });

  it('ensures a topic once, waits for it and lists it', async () => {
    expect(await ensureTopics(kafka, [{ topic, numPartitions: 2 }])).toEqual([topic]);
    expect(await ensureTopics(kafka, [topic])).toEqual([]);
    await waitForTopic(kafka, topic, { timeoutMs: 10_000 });
    expect(await listTopics(kafka, topic)).toEqual([topic]);
    expect((await endOffsets(kafka, topic)).map((p) => p.partition)).toEqual([0, 1]);
  });

  it('counts produced records, collects them, and reports group lag', async () => {
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic,
        messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i }) })),
      });
    } finally {
      await producer.disconnect();
    }
    expect(await countRecords(kafka, topic)).toBe(10);
    const lagBefore = await consumerGroupLag(kafka, group, topic);
    expect(lagBefore.total).toBe(10);
    const values = await collect(kafka, topic, 10, {
      decode: (r) => JSON.parse(r.value?.toString() ?? 'null') as { i: number },
      timeoutMs: 30_000,
      groupId: group,
    });
    expect(values.map((v) => v.i).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The named group committed as it read; commits are asynchronous, so allow a moment.
    let lag = await consumerGroupLag(kafka, group, topic);
    for (let i = 0; i < 20 && lag.total > 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      lag = await consumerGroupLag(kafka, group, topic);
    }
    expect(lag.total).toBe(0);
  });

  it('times out with the number of records seen', async () => {
    const e = (await consumeUntil(kafka, topic, () => false, { timeoutMs: 8_000 }).catch(
      (x: unknown) => x,
    )) as KafkaError;
    expect(e).toBeInstanceOf(KafkaError);
    expect(e.kind).toBe('wait-timeout');
    expect(e.seen).toBe(10);
  });

  it('deletes the topic', async () => {
    expect(await deleteTopics(kafka, [topic])).toEqual([topic]);
    expect(await deleteTopics(kafka, [topic])).toEqual([]);
  });
});
