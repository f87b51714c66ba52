/**
 * `SerdeError`, the one error class of the serializers and deserializers. It extends the registry
 * client's `SchemaRegistryError` so a caller can catch every registry failure with one type, and
 * adds where the bytes or the value went wrong: `offset` (byte offset in the Kafka message) for
 * decoding failures, `fieldPath` for values that do not match their schema.
 */
import { SchemaRegistryError } from '../errors.js';

/** Why a serializer or deserializer gave up. */
export type SerdeErrorReason =
  /** The first byte is not the Confluent magic byte 0. */
  | 'unknown-magic-byte'
  /** The message ends before its header (or message-index array, or payload) does. */
  | 'truncated'
  /** The registry does not know the schema id named in the header. */
  | 'unknown-schema-id'
  /** The schema registered under the id is of another format than this deserializer's. */
  | 'schema-type-mismatch'
  /** A Protobuf message-index path that the schema does not contain. */
  | 'unknown-message-index'
  /** The value does not match its schema (encode, or decode with validation on). */
  | 'value-mismatch'
  /** The payload bytes cannot be decoded with the writer schema. */
  | 'invalid-payload'
  /** The schema text (or one of its references) cannot be parsed or compiled. */
  | 'invalid-schema'
  /** The serializer or deserializer options cannot work together. */
  | 'invalid-options';

export interface SerdeErrorInit {
  message: string;
  reason: SerdeErrorReason;
  /** Byte offset in the whole message (header included) where decoding failed. */
  offset?: number;
  /** Path of the offending field, `/`-separated from the root (`/lines/0/price`). */
  fieldPath?: string;
  schemaId?: number;
  subject?: string;
  cause?: unknown;
}

export class SerdeError extends SchemaRegistryError {
  override name = 'SerdeError';
  readonly reason: SerdeErrorReason;
  readonly offset: number | undefined;
  readonly fieldPath: string | undefined;
  readonly schemaId: number | undefined;
  readonly subject: string | undefined;

  constructor(init: SerdeErrorInit) {
    super({
      message: init.message,
      kind: 'validation',
      service: 'registry',
      ...(init.cause === undefined ? {} : { cause: init.cause }),
    });
    this.reason = init.reason;
    this.offset = init.offset;
    this.fieldPath = init.fieldPath;
    this.schemaId = init.schemaId;
    this.subject = init.subject;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      reason: this.reason,
      offset: this.offset,
      fieldPath: this.fieldPath,
      schemaId: this.schemaId,
      subject: this.subject,
    };
  }
}

/** Narrowing helper for `catch (e)` blocks. */
export function isSerdeError(value: unknown): value is SerdeError {
  return value instanceof SerdeError;
}
