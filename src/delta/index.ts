/**
 * lakekit/delta — a Delta Lake reader over any lakekit object store (S3 or local files):
 * snapshots at a version or timestamp (checkpoints of every kind, log compaction, JSON commits),
 * the protocol's reader features, active files with typed partition values and data skipping,
 * rows into Apache Arrow (column mapping, deletion vectors), Change Data Feed and history.
 *
 *   const table = await openDeltaTable('s3://bucket/table', { s3: { endpoint, forcePathStyle: true } });
 *   const snap = await table.snapshot({ version: 3 });
 *   const rows = await snap.toArrow({ columns: ['id'], filter: [['id', '>', 10]] });
 *   const changes = await table.readChanges({ startingVersion: 1, endingVersion: 4 });
 */
export type {
  AddAction,
  CdcAction,
  CommitInfo,
  DeletionVectorDescriptor,
  DomainMetadataAction,
  LogAction,
  MetadataAction,
  ProtocolAction,
  RemoveAction,
  TxnAction,
} from './actions.js';
export type { ChangeQuery, ChangeType } from './cdf.js';
export { decodeRoaringBitmapArray, deletionVectorLocation, z85Decode } from './deletion-vector.js';
export { DeltaError, type DeltaErrorCode, type DeltaErrorInit } from './errors.js';
export type { Filter, FilterOp, FilterValue, Predicate } from './filter.js';
export { SUPPORTED_READER_FEATURES } from './protocol.js';
export type { ReadOptions } from './scan.js';
export type {
  ColumnMappingMode,
  DeltaArrayType,
  DeltaDataType,
  DeltaMapType,
  DeltaStructField,
  DeltaStructType,
  PartitionScalar,
} from './schema.js';
export type { DeltaFile, FileStatistics, Snapshot } from './snapshot.js';
export {
  type CommitEntry,
  type CommitRecord,
  DeltaTable,
  type OpenDeltaTableOptions,
  openDeltaTable,
  type SnapshotQuery,
} from './table.js';
