/**
 * Kafka admin helpers on kafkajs: a client factory with quiet logging, topic create/delete/wait,
 * end offsets and consumer-group lag. Each helper opens its own admin connection and always
 * closes it, so callers never leak sockets between tests.
 */
import { type Admin, type ITopicConfig, Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import { sleep } from '../http/retry.js';
import { KafkaError, wrapKafkaFailure } from './errors.js';

export interface CreateKafkaOptions {
  /** `host:port` list, as an array or comma-separated. */
  brokers: string | string[];
  clientId?: string;
  /** kafkajs log level; default ERROR (kafkajs is chatty at INFO). */
  logLevel?: logLevel;
  /** Other kafkajs settings (ssl, sasl, retry, connectionTimeout…). */
  config?: Omit<KafkaConfig, 'brokers' | 'clientId' | 'logLevel'>;
}

export function createKafka(o: CreateKafkaOptions): Kafka {
  const brokers = (Array.isArray(o.brokers) ? o.brokers : o.brokers.split(','))
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0 || brokers.some((b) => !/^[^\s:/]+:\d+$/.test(b))) {
    throw new KafkaError({
      message: `kafka: brokers must be host:port entries, got ${JSON.stringify(o.brokers)}`,
      kind: 'validation',
    });
  }
  return new Kafka({
    ...o.config,
    brokers,
    clientId: o.clientId ?? 'lakekit',
    logLevel: o.logLevel ?? logLevel.ERROR,
  });
}

/** Runs `fn` with a connected admin client and always disconnects. */
export async function withAdmin<T>(kafka: Kafka, what: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    return await fn(admin);
  } catch (e) {
    throw wrapKafkaFailure(what, e);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface TopicSpec {
  topic: string;
  /** Default 1. */
  numPartitions?: number;
  /** Default 1 (single-broker stacks). */
  replicationFactor?: number;
  /** Topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  config?: Record<string, string>;
}

/** Creates the topics that do not exist yet; returns the names it created. */
export async function ensureTopics(kafka: Kafka, topics: (string | TopicSpec)[]): Promise<string[]> {
  const specs = topics.map((t) => (typeof t === 'string' ? { topic: t } : t));
  return withAdmin(kafka, 'ensureTopics', async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing: ITopicConfig[] = specs
      .filter((s) => !existing.has(s.topic))
      .map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions ?? 1,
        replicationFactor: s.replicationFactor ?? 1,
        configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
      }));
    if (missing.length === 0) return [];
    await admin.createTopics({ topics: missing, waitForLeaders: true });
    return missing.map((m) => m.topic);
  });
}

/** Deletes the topics that exist; returns the names it deleted. */
export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<string[]> {
  return withAdmin(kafka, 'deleteTopics', async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length) await admin.deleteTopics({ topics: present });
    return present;
  });
}

/** Names of topics starting with `prefix` (e.g. everything a connector with this topic prefix wrote). */
export async function listTopics(kafka: Kafka, prefix = ''): Promise<string[]> {
  return withAdmin(kafka, 'listTopics', async (admin) =>
    (await admin.listTopics()).filter((t) => t.startsWith(prefix)).sort(),
  );
}

/** Polls until the topic exists with a leader for every partition. */
export async function waitForTopic(
  kafka: Kafka,
  topic: string,
  opts: { timeoutMs?: number; pollMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  await withAdmin(kafka, 'waitForTopic', async (admin) => {
    for (;;) {
      if ((await admin.listTopics()).includes(topic)) {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        const parts = meta.topics[0]?.partitions ?? [];
        if (parts.length > 0 && parts.every((p) => p.leader >= 0)) return;
      }
      if (Date.now() >= deadline) {
        throw new KafkaError({
          message: `kafka: topic ${topic} did not appear within ${timeoutMs} ms`,
          kind: 'wait-timeout',
          retriable: true,
          topic,
        });
      }
      try {
        await sleep(Math.min(opts.pollMs ?? 250, Math.max(0, deadline - Date.now())), opts.signal);
      } catch (cause) {
        throw new KafkaError({
          message: `kafka: waiting for topic ${topic} was aborted`,
          kind: 'aborted',
          cause,
          topic,
        });
      }
    }
  });
}

export interface PartitionOffsets {
  partition: number;
  /** First offset still in the log. */
  low: number;
  /** Offset the next record will get (the end). */
  high: number;
}

/** Low and high watermarks of each partition, sorted by partition. */
export async function endOffsets(kafka: Kafka, topic: string): Promise<PartitionOffsets[]> {
  return withAdmin(kafka, 'endOffsets', async (admin) =>
    (await admin.fetchTopicOffsets(topic))
      .map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) }))
      .sort((a, b) => a.partition - b.partition),
  );
}

/** Records in the topic (sum of high − low): the count a compacted or expired topic still holds. */
export async function countRecords(kafka: Kafka, topic: string): Promise<number> {
  return (await endOffsets(kafka, topic)).reduce((n, p) => n + (p.high - p.low), 0);
}

export interface GroupLag {
  groupId: string;
  topic: string;
  partitions: { partition: number; committed: number | undefined; high: number; lag: number }[];
  /** Sum over partitions. */
  total: number;
}

/**
 * How far a consumer group is behind the end of a topic. A partition without a committed offset
 * counts from the low watermark (everything still in the log is unread).
 */
export async function consumerGroupLag(kafka: Kafka, groupId: string, topic: string): Promise<GroupLag> {
  return withAdmin(kafka, 'consumerGroupLag', async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const byPartition = new Map(
      (committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [
        p.partition,
        Number(p.offset),
      ]),
    );
    const partitions = ends
      .map((e) => {
        const c = byPartition.get(e.partition);
        const has = c !== undefined && c >= 0;
        const high = Number(e.high);
        return {
          partition: e.partition,
          committed: has ? c : undefined,
          high,
          lag: Math.max(0, high - (has ? c : Number(e.low))),
        };
      })
      .sort((a, b) => a.partition - b.partition);
    return { groupId, topic, partitions, total: partitions.reduce((n, p) => n + p.lag, 0) };
  });
}
