/**
 * The contract between the format-neutral serializer/deserializer machinery (`serde.ts`) and one
 * schema format (Avro, JSON Schema, Protobuf): compile a schema text with its resolved references
 * once, then encode and decode many values with the compiled form. Internal; not exported.
 */
import type { SchemaType } from '../types.js';

/** One referenced schema, fetched from the registry, in dependency order (dependencies first). */
export interface ResolvedDependency {
  /** The reference name: an Avro full name, a JSON Schema `$ref` URL, a Protobuf import path. */
  name: string;
  subject: string;
  version: number;
  schema: string;
}

export interface FormatHandler<Compiled, EncodeOpts, DecodeOpts> {
  readonly schemaType: SchemaType;
  /** Parses and compiles; throws `SerdeError` reason `invalid-schema`. */
  compile(
    schema: string,
    dependencies: readonly ResolvedDependency[],
    opts: EncodeOpts | DecodeOpts,
  ): Compiled;
  /** The name record-based subject strategies use (Avro full name, Protobuf full name, JSON title). */
  recordName(compiled: Compiled, opts: EncodeOpts): string | undefined;
  /** The whole message: header (with `schemaId`) + payload, in one buffer. */
  encode(compiled: Compiled, schemaId: number, value: unknown, opts: EncodeOpts): Buffer;
  /**
   * Decodes the bytes after the 5-byte header (Protobuf reads its message indexes there). `reader` is the compiled reader schema when the
   * caller asked for schema resolution (Avro only).
   */
  decode(
    writer: Compiled,
    bytes: Uint8Array,
    offset: number,
    opts: DecodeOpts,
    reader: Compiled | undefined,
    schemaId: number,
  ): unknown;
}
