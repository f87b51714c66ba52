/**
 * lakekit/iceberg — the Iceberg REST catalog client (`createIcebergCatalog`), its error family
 * (`IcebergError` with predicates) and the catalog's wire types under friendly names
 * (`TableMetadata`, `Schema`, `NestedField`, `PartitionSpec`, `SortOrder`, `Snapshot`,
 * `TableUpdate`, `TableRequirement`, …). The table layer (metadata, manifests, scans, writes)
 * builds on these.
 */
export {
  type AccessDelegation,
  type CallSignal,
  createIcebergCatalog,
  type IcebergCatalogOptions,
  IcebergRestCatalog,
  type LoadTableIfChangedResult,
  type LoadTableOptions,
  type NamespacePage,
  type PageOptions,
  parseCatalogJson,
  type ResolvedCatalogConfig,
  stringifyCatalogJson,
  type TableCommit,
  type TableIdentifierPage,
  type TransactionTableChange,
  uuidv7,
  type ViewCommit,
} from './catalog.js';
export * from './catalog-types.js';
export {
  ICEBERG_ERROR_TYPES,
  IcebergError,
  type IcebergErrorInit,
  type IcebergErrorType,
  isCommitRequest,
  isIcebergError,
  parseIcebergErrorBody,
} from './errors.js';
// The table layer's public API (the lead enables this once src/iceberg/table/ is in):
// export * from './table/index.js';
