/**
 * Errors of the Delta reader. Every failure names what it concerns — the table, the log version
 * and/or the file — so a caller (or a test) can tell a missing commit from a corrupt checkpoint
 * from an unsupported reader feature without reading message text. The reader never returns rows
 * it could not fully justify from the log: anything doubtful raises one of these instead.
 */
import { LakekitError } from '../http/errors.js';

export type DeltaErrorCode =
  /** No `_delta_log` (or an empty one) at the location. */
  | 'TableNotFound'
  /** A version needed to reconstruct a snapshot is absent from the log. */
  | 'MissingVersion'
  /** The requested version/timestamp is outside what the log holds. */
  | 'VersionNotAvailable'
  /** A JSON commit (or compacted log file) could not be parsed. */
  | 'CorruptCommit'
  /** A checkpoint (classic, multi-part, V2 or a sidecar) is unreadable or inconsistent. */
  | 'CorruptCheckpoint'
  /** The protocol needs a reader version or feature this reader does not implement. */
  | 'UnsupportedFeature'
  /** A deletion vector's size, checksum or encoding is wrong. */
  | 'CorruptDeletionVector'
  /** A data file does not match the log (missing, unreadable, wrong columns). */
  | 'CorruptDataFile'
  /** Change Data Feed was not enabled for a version in the requested range. */
  | 'ChangeDataFeedNotEnabled'
  /** The table's metadata/schema is malformed or uses a type we cannot read. */
  | 'InvalidMetadata'
  /** A caller's argument is invalid (bad range, unknown column). */
  | 'InvalidArgument';

export interface DeltaErrorInit {
  message: string;
  code: DeltaErrorCode;
  /** Table location (store URL). */
  table?: string;
  version?: number;
  /** Key of the file concerned, relative to the table root. */
  file?: string;
  /** For `UnsupportedFeature`: the feature (or `readerVersion N`). */
  feature?: string;
  cause?: unknown;
}

export class DeltaError extends LakekitError {
  override name = 'DeltaError';
  declare readonly code: DeltaErrorCode;
  readonly table: string | undefined;
  readonly version: number | undefined;
  readonly file: string | undefined;
  readonly feature: string | undefined;

  constructor(init: DeltaErrorInit) {
    super({
      message: init.message,
      kind: init.code === 'InvalidArgument' ? 'validation' : 'protocol',
      service: 'delta',
      code: init.code,
      ...(init.cause !== undefined ? { cause: init.cause } : {}),
    });
    this.table = init.table;
    this.version = init.version;
    this.file = init.file;
    this.feature = init.feature;
  }

  override isNotFound(): boolean {
    return (
      this.code === 'TableNotFound' || this.code === 'MissingVersion' || this.code === 'VersionNotAvailable'
    );
  }
  isUnsupportedFeature(): boolean {
    return this.code === 'UnsupportedFeature';
  }
  isCorrupt(): boolean {
    return (
      this.code === 'CorruptCommit' ||
      this.code === 'CorruptCheckpoint' ||
      this.code === 'CorruptDeletionVector' ||
      this.code === 'CorruptDataFile'
    );
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      table: this.table,
      version: this.version,
      file: this.file,
      feature: this.feature,
    };
  }
}
