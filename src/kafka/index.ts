/**
 * lakekit/kafka — kafkajs helpers (client factory, topics, offsets, group lag), `consumeUntil` /
 * `collect` that always disconnect, and Debezium envelope types with `decodeDebeziumEvent` (JSON)
 * and `decodeAvroDebeziumEvent` (Avro, through a registry deserializer).
 */
export {
  type CreateKafkaOptions,
  consumerGroupLag,
  countRecords,
  createKafka,
  deleteTopics,
  endOffsets,
  ensureTopics,
  type GroupLag,
  listTopics,
  type PartitionOffsets,
  type TopicSpec,
  waitForTopic,
  withAdmin,
} from './admin.js';
export {
  type AvroDebeziumOptions,
  decodeAvroDebeziumEvent,
  decodeAvroDebeziumEvents,
  type RecordDeserializer,
} from './avro.js';
export { type ConsumedRecord, type ConsumeOptions, collect, consumeUntil } from './consume.js';
export {
  type DebeziumChangeEvent,
  type DebeziumEvent,
  type DebeziumFlatRow,
  type DebeziumOp,
  type DebeziumSchemaChange,
  type DebeziumSource,
  type DebeziumTombstone,
  decodeDebeziumEvent,
  isChangeEvent,
  type RawPart,
} from './debezium.js';
export { KafkaError, type KafkaErrorInit } from './errors.js';
