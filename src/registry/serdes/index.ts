/**
 * Public surface of the registry serdes (re-exported by `lakekit/registry`): `serializer` and
 * `deserializer` for Avro, JSON Schema and Protobuf in the Confluent wire format, their option
 * types, `SerdeError`, subject name strategies, and the wire-format helpers for tools and tests.
 */
export { isSerdeError, SerdeError, type SerdeErrorInit, type SerdeErrorReason } from './errors.js';
export type { JsonDecodeOptions, JsonEncodeOptions } from './json.js';
export type { ProtobufDecodeOptions, ProtobufEncodeOptions } from './protobuf.js';
export {
  type AvroDeserializerOptions,
  type AvroSerializerOptions,
  type CallOptions,
  type Deserializer,
  type DeserializerCommonOptions,
  deserializer,
  type JsonDeserializerOptions,
  type JsonSerializerOptions,
  type ProtobufDeserializerOptions,
  type ProtobufSerializerOptions,
  type SerdeFormat,
  type Serializer,
  type SerializerCommonOptions,
  serializer,
} from './serde.js';
export { type SubjectNameContext, type SubjectNameStrategy, subjectName } from './subject.js';
export {
  encodeMessageIndexes,
  HEADER_LENGTH,
  MAGIC_BYTE,
  readHeader,
  readMessageIndexes,
  type WireHeader,
} from './wire.js';
