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
// The table layer. Its model types share names with the catalog's wire types above (`Schema`,
// `TableMetadata`, …), so the whole layer is also available as the `table` namespace
// (`table.Schema`), and its entry points, builders and expressions are exported directly.
export * as table from './table/index.js';
export {
  alwaysFalse,
  alwaysTrue,
  and,
  type CreateTableOptions,
  createIcebergTable,
  eq,
  exprToString,
  gt,
  gtEq,
  IcebergTable,
  in_,
  isIn,
  isNaN,
  isNull,
  type LoadOptions,
  loadIcebergTable,
  lt,
  ltEq,
  makeSchema,
  not,
  notEq,
  notIn,
  notNaN,
  notNull,
  notStartsWith,
  optional,
  or,
  required,
  restCatalogOps,
  schemaToArrow,
  startsWith,
  T,
  type UpsertResult,
  type WriteOptions,
} from './table/index.js';
