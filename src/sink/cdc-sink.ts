/**
 * The CDC sink loop: consumes Debezium change events for one table from Kafka (kafkajs), folds
 * them into batches (one change per key), and hands each batch to a `SinkTarget` that commits rows
 * and the Kafka positions together. Kafka consumer-group offsets are not used at all: on start the
 * sink asks the target for the positions stored with its last commit and skips everything before
 * them, so a crash between a table commit and an offset commit cannot exist, and a restart neither
 * loses nor duplicates a row.
 */
import type { Consumer, Kafka } from 'kafkajs';
import { LakekitError } from '../http/errors.js';
import { type ChangeBatch, type ChangeEvent, ChangeReducer, type KafkaPosition } from './changes.js';

export interface SinkTarget {
  /** For messages and logs, e.g. `iceberg://cdc.customers`. */
  readonly description: string;
  /** Positions stored with the last committed batch; empty when nothing was committed yet. */
  committedPositions(signal?: AbortSignal): Promise<KafkaPosition[]>;
  /** Applies the batch and stores its positions in one atomic commit. */
  apply(batch: ChangeBatch, signal?: AbortSignal): Promise<void>;
}

export type ChangeDecoder = (
  value: Buffer | null,
  key: Buffer | null,
) => ChangeEvent | undefined | Promise<ChangeEvent | undefined>;

export interface CdcSinkOptions {
  kafka: Kafka;
  topic: string;
  keyColumns: string[];
  target: SinkTarget;
  /** Turns a message into a change; `undefined` skips it (tombstones). Default: Debezium JSON. */
  decode?: ChangeDecoder;
  /** Events per batch before a commit. Default 5000. */
  batchSize?: number;
  /** Commit what has been collected at least this often. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Resolve once every partition has been consumed up to its end offset, re-checked after each commit. */
  stopWhenCaughtUp?: boolean;
  signal?: AbortSignal;
  onBatch?: (info: { events: number; upserts: number; deletes: number; positions: KafkaPosition[] }) => void;
}

export interface CdcSinkSummary {
  events: number;
  batches: number;
  upserts: number;
  deletes: number;
  skippedBeforeCommitted: number;
  positions: KafkaPosition[];
}

/** Debezium JSON, with or without the converter's `{schema, payload}` wrapper. */
export const decodeDebeziumJson: ChangeDecoder = (value) => {
  if (value === null || value.length === 0) return undefined;
  const parsed = JSON.parse(value.toString('utf8'), exactIntegers) as Record<string, unknown>;
  const env = (parsed && 'payload' in parsed && 'schema' in parsed ? parsed.payload : parsed) as Record<
    string,
    unknown
  > | null;
  if (!env || typeof env.op !== 'string') return undefined;
  if (!['c', 'u', 'd', 'r'].includes(env.op)) return undefined;
  return {
    op: env.op as ChangeEvent['op'],
    before: (env.before as Record<string, unknown> | null) ?? null,
    after: (env.after as Record<string, unknown> | null) ?? null,
  };
};

/**
 * `JSON.parse` reviver keeping integers beyond 2^53 exact (as bigint), using the source text the
 * reviver receives (ES2025 JSON.parse source text access, Node ≥ 21); two ids that differ only past
 * the 53rd bit must not collapse into one key.
 */
function exactIntegers(this: unknown, _key: string, value: unknown, context?: { source?: string }): unknown {
  if (
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    context?.source &&
    /^-?\d+$/.test(context.source)
  ) {
    return BigInt(context.source);
  }
  return value;
}

export async function runCdcSink(o: CdcSinkOptions): Promise<CdcSinkSummary> {
  const decode = o.decode ?? decodeDebeziumJson;
  const batchSize = o.batchSize ?? 5000;
  const reducer = new ChangeReducer(o.keyColumns);
  const committed = await o.target.committedPositions(o.signal);
  // Next offset to apply per partition. Everything below it is already in the target: skipped
  // whether it arrives after the initial seek or after a consumer-group rejoin that restarted
  // fetching from the beginning (kafkajs forgets one-shot seeks on rejoin).
  const reached = new Map<number, bigint>();
  for (const p of committed) if (p.topic === o.topic) reached.set(p.partition, BigInt(p.offset));
  const floor = new Map<number, bigint>(reached);
  const summary: CdcSinkSummary = {
    events: 0,
    batches: 0,
    upserts: 0,
    deletes: 0,
    skippedBeforeCommitted: 0,
    positions: committed,
  };

  const admin = o.kafka.admin();
  const consumer: Consumer = o.kafka.consumer({
    groupId: `lakekit-sink-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    allowAutoTopicCreation: false,
  });
  let failure: unknown;
  let chain: Promise<void> = Promise.resolve();
  let dirty = false;

  const flush = (): Promise<void> => {
    chain = chain.then(async () => {
      if (!dirty) return;
      const batch = reducer.drain();
      dirty = false;
      await o.target.apply(batch, o.signal);
      summary.batches++;
      summary.events += batch.events;
      summary.upserts += batch.upserts.length;
      summary.deletes += batch.deletes.length;
      summary.positions = mergePositions(summary.positions, batch.positions);
      o.onBatch?.({
        events: batch.events,
        upserts: batch.upserts.length,
        deletes: batch.deletes.length,
        positions: batch.positions,
      });
    });
    return chain;
  };

  await admin.connect();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    // "Caught up" means: everything that was in the topic when the sink started is applied. Judged
    // against end offsets taken once, so a steady inflow cannot keep the sink running forever.
    const ends = o.stopWhenCaughtUp ? await admin.fetchTopicOffsets(o.topic) : [];
    let finish!: () => void;
    let fail!: (e: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      finish = res;
      fail = rej;
    });
    const onAbort = () => fail(o.signal?.reason ?? new Error('aborted'));
    o.signal?.addEventListener('abort', onAbort, { once: true });

    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch, heartbeat }) => {
        try {
          for (const m of batch.messages) {
            const offset = BigInt(m.offset);
            const min = reached.get(batch.partition);
            if (min !== undefined && offset < min) {
              summary.skippedBeforeCommitted++;
              continue;
            }
            const position = {
              topic: batch.topic,
              partition: batch.partition,
              offset: (offset + 1n).toString(),
            };
            const event = await decode(m.value, m.key);
            if (event) reducer.add(event, position);
            else reducer.advance(position);
            reached.set(batch.partition, offset + 1n);
            dirty = true;
            if (reducer.size >= batchSize) {
              await flush();
              await heartbeat();
            }
          }
        } catch (e) {
          failure = e;
          fail(e);
          throw e;
        }
      },
    });
    for (const [partition, offset] of floor)
      consumer.seek({ topic: o.topic, partition, offset: offset.toString() });

    const tick = setInterval(() => {
      flush()
        .then(async () => {
          if (!o.stopWhenCaughtUp || dirty) return;
          const caughtUp = ends.every(
            (e) => BigInt(e.high) <= BigInt(e.low) || (reached.get(e.partition) ?? 0n) >= BigInt(e.high),
          );
          if (caughtUp) finish();
        })
        .catch((e: unknown) => {
          failure = e;
          fail(e);
        });
    }, o.flushIntervalMs ?? 1000);
    try {
      await done;
    } finally {
      clearInterval(tick);
      o.signal?.removeEventListener('abort', onAbort);
      // Never return (or let a caller restart) while a commit is still being written.
      await chain.catch(() => undefined);
    }
    await flush();
  } catch (e) {
    throw e instanceof LakekitError
      ? e
      : new LakekitError({
          message: `CDC sink for ${o.topic} → ${o.target.description} failed: ${(e as Error)?.message ?? e}`,
          kind: failure === e ? 'protocol' : 'aborted',
          service: 'sink',
          cause: e,
        });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  return summary;
}

function mergePositions(a: KafkaPosition[], b: KafkaPosition[]): KafkaPosition[] {
  const m = new Map(a.map((p) => [`${p.topic}\u0000${p.partition}`, p]));
  for (const p of b) m.set(`${p.topic}\u0000${p.partition}`, p);
  return [...m.values()];
}
