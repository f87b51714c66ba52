/**
 * `KafkaError`, lakekit's error for the Kafka helpers: waits that time out (with what was seen so
 * far), records that cannot be decoded, and broker failures wrapped with the topic they concern.
 */
import { LakekitError, type LakekitErrorInit } from '../http/errors.js';

export interface KafkaErrorInit extends LakekitErrorInit {
  topic?: string;
  /** Records consumed before a wait gave up. */
  seen?: number;
}

export class KafkaError extends LakekitError {
  override name = 'KafkaError';
  readonly topic: string | undefined;
  readonly seen: number | undefined;

  constructor(init: KafkaErrorInit) {
    super({ service: 'kafka', ...init });
    this.topic = init.topic;
    this.seen = init.seen;
  }

  /** A record's key or value was not what the decoder expects (e.g. Avro bytes given to the JSON decoder). */
  isUndecodable(): boolean {
    return this.kind === 'protocol';
  }
}

/** Wraps a kafkajs failure, naming the operation and topic; never includes SASL credentials. */
export function wrapKafkaFailure(what: string, cause: unknown, topic?: string): KafkaError {
  if (cause instanceof KafkaError) return cause;
  const c = cause as { message?: string; retriable?: boolean; name?: string };
  return new KafkaError({
    message: `kafka: ${what}${topic ? ` (topic ${topic})` : ''} failed: ${c?.message ?? String(cause)}`,
    kind:
      c?.name === 'KafkaJSConnectionError' || c?.name === 'KafkaJSNumberOfRetriesExceeded'
        ? 'network'
        : 'protocol',
    retriable: c?.retriable === true,
    cause,
    ...(topic ? { topic } : {}),
  });
}
