/**
 * Reader-side protocol check (PROTOCOL.md "Protocol Evolution" and "Table Features"): a table may
 * only be read when its `minReaderVersion` is one we implement and, from reader version 3 on, every
 * listed reader feature is one we implement. Anything else fails before a single row is returned,
 * naming the feature, because silently ignoring e.g. an unknown deletion format gives wrong rows.
 */
import type { ProtocolAction } from './actions.js';
import { DeltaError } from './errors.js';

/** Reader features this reader implements. */
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set([
  'columnMapping',
  'deletionVectors',
  'timestampNtz',
  'v2Checkpoint',
  'vacuumProtocolCheck',
  'typeWidening',
  'typeWidening-preview',
  // Variant columns are surfaced as their raw Parquet {value, metadata} binary struct.
  'variantType',
  'variantType-preview',
]);

export const MAX_READER_VERSION = 3;

export function checkReadable(protocol: ProtocolAction, table: string, version: number): void {
  const reader = protocol.minReaderVersion;
  if (!Number.isInteger(reader) || reader < 1 || reader > MAX_READER_VERSION) {
    throw new DeltaError({
      code: 'UnsupportedFeature',
      message: `table ${table} at version ${version} needs Delta reader version ${reader}; lakekit reads up to ${MAX_READER_VERSION}`,
      table,
      version,
      feature: `readerVersion ${reader}`,
    });
  }
  if (reader < 3) return;
  for (const feature of protocol.readerFeatures ?? []) {
    if (!SUPPORTED_READER_FEATURES.has(feature)) {
      throw new DeltaError({
        code: 'UnsupportedFeature',
        message: `table ${table} at version ${version} uses reader feature "${feature}", which lakekit does not support`,
        table,
        version,
        feature,
      });
    }
  }
}

/** Whether a (reader or writer) feature is active: listed explicitly, or implied by legacy versions. */
export function hasFeature(protocol: ProtocolAction, feature: string): boolean {
  if (protocol.readerFeatures?.includes(feature) || protocol.writerFeatures?.includes(feature)) return true;
  if (feature === 'columnMapping') return protocol.minReaderVersion === 2 && protocol.minWriterVersion >= 5;
  return false;
}
