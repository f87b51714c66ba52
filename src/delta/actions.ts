/**
 * The Delta log's action types (PROTOCOL.md "Actions"), as this reader keeps them after parsing a
 * JSON commit line or a checkpoint row. Only fields the reader uses or exposes are typed; unknown
 * fields are ignored, as the protocol requires of readers.
 */

/** Where a deletion vector lives: `u` relative path (z85 UUID), `i` inline (z85 bytes), `p` absolute path. */
export interface DeletionVectorDescriptor {
  storageType: 'u' | 'i' | 'p';
  pathOrInlineDv: string;
  /** Byte offset of the DV inside its file (absent for inline DVs). */
  offset?: number;
  /** Size of the serialized bitmap in bytes. */
  sizeInBytes: number;
  /** Number of deleted rows. */
  cardinality: number;
}

export interface AddAction {
  /** URI-encoded path relative to the table root, or an absolute URI. */
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  /** JSON statistics string; parsed lazily because most scans never look at most of them. */
  stats?: string | null;
  /** `stats_parsed` from a checkpoint, already structured. */
  statsParsed?: Record<string, unknown> | null;
  tags?: Record<string, string | null> | null;
  deletionVector?: DeletionVectorDescriptor | null;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
  clusteringProvider?: string | null;
}

export interface RemoveAction {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean | null;
  partitionValues?: Record<string, string | null> | null;
  size?: number | null;
  stats?: string | null;
  tags?: Record<string, string | null> | null;
  deletionVector?: DeletionVectorDescriptor | null;
}

export interface CdcAction {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  dataChange: boolean;
  tags?: Record<string, string | null> | null;
}

export interface MetadataAction {
  id: string;
  name?: string | null;
  description?: string | null;
  format: { provider: string; options?: Record<string, string> | null };
  schemaString: string;
  partitionColumns: string[];
  createdTime?: number | null;
  configuration: Record<string, string>;
}

export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[] | null;
  writerFeatures?: string[] | null;
}

export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

export interface DomainMetadataAction {
  domain: string;
  configuration: string;
  removed: boolean;
}

export interface CommitInfo {
  timestamp?: number;
  inCommitTimestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface SidecarAction {
  path: string;
  sizeInBytes: number;
  modificationTime: number;
  tags?: Record<string, string | null> | null;
}

export interface CheckpointMetadataAction {
  version: number;
  tags?: Record<string, string | null> | null;
}

/** One parsed log line / checkpoint row: exactly one of the fields is set. */
export interface LogAction {
  add?: AddAction;
  remove?: RemoveAction;
  cdc?: CdcAction;
  metaData?: MetadataAction;
  protocol?: ProtocolAction;
  txn?: TxnAction;
  domainMetadata?: DomainMetadataAction;
  commitInfo?: CommitInfo;
  sidecar?: SidecarAction;
  checkpointMetadata?: CheckpointMetadataAction;
}
