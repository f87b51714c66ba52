/**
 * Public surface of the Iceberg table layer (re-exported by `lakekit/iceberg`): tables loaded
 * through the REST catalog, scans to Arrow, writes, snapshots and refs, the filter-expression API,
 * and the metadata model for callers that inspect tables directly.
 */
export { FIELD_ID_KEY, schemaToArrow } from './arrow.js';
export {
  type CatalogOps,
  type CommitResult,
  DEFAULT_RETRY,
  type Operation,
  type RetryPolicy,
} from './commit.js';
export {
  alwaysFalse,
  alwaysTrue,
  and,
  type Bound,
  bind,
  boundToString,
  type Expression,
  eq,
  exprToString,
  gt,
  gtEq,
  in_,
  isIn,
  isNaN,
  isNull,
  lt,
  ltEq,
  not,
  notEq,
  notIn,
  notNaN,
  notNull,
  notStartsWith,
  or,
  startsWith,
} from './expressions.js';
export { type FileIO, localFileIO } from './io.js';
export type { DataFile, FieldSummary, ManifestEntry, ManifestFile } from './manifest.js';
export {
  buildPartitionSpec,
  type PartitionField,
  type PartitionSpec,
  parseTableMetadata,
  type Snapshot,
  type SnapshotRef,
  type SortField,
  type SortOrder,
  type TableMetadata,
  tableMetadataFromJson,
  tableMetadataToJson,
} from './metadata.js';
export type { ReadOptions } from './read.js';
export type { FileScanTask, ScanOptions, ScanPlan, SnapshotSelector } from './scan.js';
export { objectStoreFileIO, type S3Settings, s3SettingsFromConfig } from './store-io.js';
export {
  type CreateTableOptions,
  createIcebergTable,
  IcebergTable,
  type LoadOptions,
  loadIcebergTable,
  restCatalogOps,
  type UpsertResult,
  type WriteOptions,
} from './table.js';
export { parseTransform, type Transform, transformToString } from './transforms.js';
export {
  type IcebergType,
  type ListType,
  type MapType,
  makeSchema,
  type NestedField,
  optional,
  type PrimitiveType,
  required,
  type Schema,
  type StructType,
  schemaFromJson,
  schemaToJson,
  schemaToString,
  T,
} from './types.js';
export type { IcebergValue } from './values.js';
export type { WriteInput } from './write.js';
