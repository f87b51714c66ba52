/**
 * Friendly names for the Iceberg REST catalog's wire types, taken from the schemas generated from
 * `specs/iceberg-rest.yaml` (names follow the upstream REST spec), plus the few option and result
 * shapes of our own client. Users and the table layer import these, never `generated/`.
 *
 * 64-bit integers: snapshot ids are random 63-bit numbers, beyond `Number.MAX_SAFE_INTEGER`. The
 * catalog client parses such integers as `bigint` (exactly) and writes `bigint` values back as JSON
 * numbers, so fields typed `number` below may hold a `bigint` at run time when the value is that
 * large. Compare ids with `sameId()` and keep them as received.
 */
import type { components } from '../../generated/iceberg-rest.js';

type Schemas = components['schemas'];

export type CatalogConfig = Schemas['CatalogConfig'];
export type ErrorModel = Schemas['ErrorModel'];
export type IcebergErrorResponse = Schemas['IcebergErrorResponse'];
export type OAuthTokenResponse = Schemas['OAuthTokenResponse'];

export type Namespace = Schemas['Namespace'];
export type TableIdentifier = Schemas['TableIdentifier'];
export type CreateNamespaceResponse = Schemas['CreateNamespaceResponse'];
export type GetNamespaceResponse = Schemas['GetNamespaceResponse'];
export type ListNamespacesResponse = Schemas['ListNamespacesResponse'];
export type ListTablesResponse = Schemas['ListTablesResponse'];
export type UpdateNamespacePropertiesResponse = Schemas['UpdateNamespacePropertiesResponse'];

export type PrimitiveType = Schemas['PrimitiveType'];
export type IcebergType = Schemas['Type'];
export type StructType = Schemas['StructType'];
export type ListType = Schemas['ListType'];
export type MapType = Schemas['MapType'];
/** A field of a struct (Iceberg's `NestedField`): id, name, type, required, doc, defaults. */
export type NestedField = Schemas['StructField'];
export type Schema = Schemas['Schema'];
export type PrimitiveTypeValue = Schemas['PrimitiveTypeValue'];

export type Transform = Schemas['Transform'];
export type PartitionField = Schemas['PartitionField'];
export type PartitionSpec = Schemas['PartitionSpec'];
export type SortDirection = Schemas['SortDirection'];
export type NullOrder = Schemas['NullOrder'];
export type SortField = Schemas['SortField'];
export type SortOrder = Schemas['SortOrder'];

export type Snapshot = Schemas['Snapshot'];
export type SnapshotReference = Schemas['SnapshotReference'];
export type SnapshotReferences = Schemas['SnapshotReferences'];
export type SnapshotLog = Schemas['SnapshotLog'];
export type MetadataLog = Schemas['MetadataLog'];
export type StatisticsFile = Schemas['StatisticsFile'];
export type BlobMetadata = Schemas['BlobMetadata'];
export type PartitionStatisticsFile = Schemas['PartitionStatisticsFile'];
export type EncryptedKey = Schemas['EncryptedKey'];
export type TableMetadata = Schemas['TableMetadata'];

export type StorageCredential = Schemas['StorageCredential'];
export type LoadCredentialsResponse = Schemas['LoadCredentialsResponse'];
export type LoadTableResult = Schemas['LoadTableResult'];
export type CreateTableRequest = Schemas['CreateTableRequest'];
export type RegisterTableRequest = Schemas['RegisterTableRequest'];

export type TableUpdate = Schemas['TableUpdate'];
/** The `action` names of table updates (`add-snapshot`, `set-snapshot-ref`, …). */
export type TableUpdateAction = TableUpdate['action'];
export type AssignUUIDUpdate = Schemas['AssignUUIDUpdate'];
export type UpgradeFormatVersionUpdate = Schemas['UpgradeFormatVersionUpdate'];
export type AddSchemaUpdate = Schemas['AddSchemaUpdate'];
export type SetCurrentSchemaUpdate = Schemas['SetCurrentSchemaUpdate'];
export type AddPartitionSpecUpdate = Schemas['AddPartitionSpecUpdate'];
export type SetDefaultSpecUpdate = Schemas['SetDefaultSpecUpdate'];
export type AddSortOrderUpdate = Schemas['AddSortOrderUpdate'];
export type SetDefaultSortOrderUpdate = Schemas['SetDefaultSortOrderUpdate'];
export type AddSnapshotUpdate = Schemas['AddSnapshotUpdate'];
export type SetSnapshotRefUpdate = Schemas['SetSnapshotRefUpdate'];
export type RemoveSnapshotsUpdate = Schemas['RemoveSnapshotsUpdate'];
export type RemoveSnapshotRefUpdate = Schemas['RemoveSnapshotRefUpdate'];
export type SetLocationUpdate = Schemas['SetLocationUpdate'];
export type SetPropertiesUpdate = Schemas['SetPropertiesUpdate'];
export type RemovePropertiesUpdate = Schemas['RemovePropertiesUpdate'];
export type SetStatisticsUpdate = Schemas['SetStatisticsUpdate'];
export type RemoveStatisticsUpdate = Schemas['RemoveStatisticsUpdate'];
export type SetPartitionStatisticsUpdate = Schemas['SetPartitionStatisticsUpdate'];
export type RemovePartitionStatisticsUpdate = Schemas['RemovePartitionStatisticsUpdate'];
export type RemovePartitionSpecsUpdate = Schemas['RemovePartitionSpecsUpdate'];
export type RemoveSchemasUpdate = Schemas['RemoveSchemasUpdate'];
export type AddEncryptionKeyUpdate = Schemas['AddEncryptionKeyUpdate'];
export type RemoveEncryptionKeyUpdate = Schemas['RemoveEncryptionKeyUpdate'];

export type TableRequirement = Schemas['TableRequirement'];
/** The `type` names of table requirements (`assert-create`, `assert-ref-snapshot-id`, …). */
export type TableRequirementType = TableRequirement['type'];
export type AssertCreate = Schemas['AssertCreate'];
export type AssertTableUUID = Schemas['AssertTableUUID'];
export type AssertRefSnapshotId = Schemas['AssertRefSnapshotId'];
export type AssertLastAssignedFieldId = Schemas['AssertLastAssignedFieldId'];
export type AssertCurrentSchemaId = Schemas['AssertCurrentSchemaId'];
export type AssertLastAssignedPartitionId = Schemas['AssertLastAssignedPartitionId'];
export type AssertDefaultSpecId = Schemas['AssertDefaultSpecId'];
export type AssertDefaultSortOrderId = Schemas['AssertDefaultSortOrderId'];

export type CommitTableRequest = Schemas['CommitTableRequest'];
export type CommitTableResponse = Schemas['CommitTableResponse'];
export type CommitTransactionRequest = Schemas['CommitTransactionRequest'];

export type Expression = Schemas['Expression'];
export type Term = Schemas['Term'];
export type MetricResult = Schemas['MetricResult'];
export type Metrics = Schemas['Metrics'];
export type ScanReport = Schemas['ScanReport'];
export type CommitReport = Schemas['CommitReport'];
export type ReportMetricsRequest = Schemas['ReportMetricsRequest'];

export type ViewMetadata = Schemas['ViewMetadata'];
export type ViewVersion = Schemas['ViewVersion'];
export type ViewRepresentation = Schemas['ViewRepresentation'];
export type ViewHistoryEntry = Schemas['ViewHistoryEntry'];
export type ViewUpdate = Schemas['ViewUpdate'];
export type ViewRequirement = Schemas['ViewRequirement'];
export type CommitViewRequest = Schemas['CommitViewRequest'];
export type CreateViewRequest = Schemas['CreateViewRequest'];
export type RegisterViewRequest = Schemas['RegisterViewRequest'];
export type LoadViewResult = Schemas['LoadViewResult'];

export type FileFormat = Schemas['FileFormat'];
export type DataFile = Schemas['DataFile'];
export type DeleteFile = Schemas['DeleteFile'];
export type FileScanTask = Schemas['FileScanTask'];
export type PlanTask = Schemas['PlanTask'];
export type PlanTableScanRequest = Schemas['PlanTableScanRequest'];
export type PlanTableScanResult = Schemas['PlanTableScanResult'];
export type FetchPlanningResult = Schemas['FetchPlanningResult'];
export type FetchScanTasksResult = Schemas['FetchScanTasksResult'];
export type RemoteSignRequest = Schemas['RemoteSignRequest'];
export type RemoteSignResult = Schemas['RemoteSignResult'];

/** A namespace as its levels (`['db', 'sales']`) or a dotted string (`'db.sales'`). */
export type NamespaceInput = string | readonly string[];
/** A table or view as `{ namespace, name }`, or a dotted string whose last part is the name. */
export type TableIdentifierInput = string | { namespace: NamespaceInput; name: string };

/** True when two 64-bit ids are equal, whether each came back as `number` or `bigint`. */
export function sameId(
  a: number | bigint | null | undefined,
  b: number | bigint | null | undefined,
): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a === b;
  return BigInt(a) === BigInt(b);
}
