/**
 * Reading a topic until a condition holds: `consumeUntil` and `collect`. Each call uses its own
 * throw-away consumer group, stops at the predicate, the deadline or the caller's abort, and
 * always disconnects (and removes the group) whatever happened.
 */
import type { IHeaders, Kafka } from 'kafkajs';
import { withAdmin } from './admin.js';
import { KafkaError } from './errors.js';

/** One record as read from Kafka, before any decoding. */
export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Broker or producer timestamp, ms since the epoch. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

export interface ConsumeOptions<T> {
  /** Give up after this long. Default 30 s. */
  timeoutMs?: number;
  /** Read from the start of the log (default true); false reads only records that arrive after joining. */
  fromBeginning?: boolean;
  /** Start each listed partition at this offset instead (e.g. the `high` of `endOffsets` taken before a change). */
  fromOffsets?: { partition: number; offset: number | string }[];
  signal?: AbortSignal;
  /** Turns each record into what the predicate and the result see (e.g. `decodeDebeziumEvent`). */
  decode?: (record: ConsumedRecord) => T;
  /** Consumer group id; default a unique throw-away id that is deleted afterwards. */
  groupId?: string;
}

/**
 * Consumes `topic` until `predicate(record, all)` returns true and returns every record seen, in
 * the order received. On timeout throws a `KafkaError` of kind `wait-timeout` whose `seen` says how
 * many records arrived.
 */
export async function consumeUntil<T = ConsumedRecord>(
  kafka: Kafka,
  topic: string,
  predicate: (record: T, all: readonly T[]) => boolean,
  opts: ConsumeOptions<T> = {},
): Promise<T[]> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const ownGroup = opts.groupId === undefined;
  const groupId =
    opts.groupId ?? `lakekit-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const decode = opts.decode ?? ((r: ConsumedRecord) => r as unknown as T);
  const seen: T[] = [];
  const startAt = new Map((opts.fromOffsets ?? []).map((o) => [o.partition, BigInt(o.offset)]));
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 250, retry: { retries: 3 } });
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<T[]>((resolve, reject) => {
      let done = false;
      const finish = (error: unknown, value?: T[]) => {
        if (done) return;
        done = true;
        if (error) reject(error);
        else resolve(value ?? seen);
      };
      timer = setTimeout(
        () =>
          finish(
            new KafkaError({
              message: `kafka: condition on topic ${topic} not met within ${timeoutMs} ms (${seen.length} records seen)`,
              kind: 'wait-timeout',
              retriable: true,
              topic,
              seen: seen.length,
            }),
          ),
        timeoutMs,
      );
      if (opts.signal) {
        onAbort = () =>
          finish(
            new KafkaError({ message: `kafka: consuming ${topic} was aborted`, kind: 'aborted', topic }),
          );
        if (opts.signal.aborted) return onAbort();
        opts.signal.addEventListener('abort', onAbort, { once: true });
      }
      const start = async () => {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });
        await consumer.run({
          autoCommit: !ownGroup,
          eachMessage: async ({ partition, message }) => {
            if (done) return;
            // A seek lands after the first fetches may already have run: skip what precedes it.
            const from = startAt.get(partition);
            if (from !== undefined && BigInt(message.offset) < from) return;
            const record: ConsumedRecord = {
              topic,
              partition,
              offset: message.offset,
              timestamp: Number(message.timestamp),
              key: message.key,
              value: message.value,
              headers: message.headers ?? {},
            };
            try {
              const item = decode(record);
              seen.push(item);
              if (predicate(item, seen)) finish(undefined, [...seen]);
            } catch (e) {
              finish(e);
            }
          },
        });
        for (const o of opts.fromOffsets ?? [])
          consumer.seek({ topic, partition: o.partition, offset: String(o.offset) });
      };
      start().catch((e: unknown) =>
        finish(
          new KafkaError({
            message: `kafka: could not consume ${topic}: ${(e as Error)?.message ?? String(e)}`,
            kind: 'network',
            topic,
            cause: e,
          }),
        ),
      );
    });
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect().catch(() => undefined);
    if (ownGroup)
      await withAdmin(kafka, 'deleteGroups', (a) => a.deleteGroups([groupId])).catch(() => undefined);
  }
}

/** The first `n` records of `topic` (from the beginning unless told otherwise). */
export async function collect<T = ConsumedRecord>(
  kafka: Kafka,
  topic: string,
  n: number,
  opts: ConsumeOptions<T> = {},
): Promise<T[]> {
  if (!Number.isInteger(n) || n < 1) {
    throw new KafkaError({
      message: `kafka: collect needs a positive count, got ${n}`,
      kind: 'validation',
      topic,
    });
  }
  const all = await consumeUntil(kafka, topic, (_r, seen) => seen.length >= n, opts);
  return all.slice(0, n);
}
