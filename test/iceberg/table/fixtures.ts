/** Shared access to the PyIceberg-written fixture tables under test/fixtures/iceberg. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localFileIO } from '../../../src/iceberg/table/io.js';

export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'iceberg');
/** The generator's warehouse path (scripts/fixtures/iceberg/generate.py), mapped to the copy here. */
export const GEN_WAREHOUSE = 'file:///tmp/lakekit-iceberg-fixtures/warehouse';
export const fixtureIO = localFileIO({ [GEN_WAREHOUSE]: `file://${join(FIXTURES, 'warehouse')}` });

export function latestMetadataFile(table: string): string {
  const dir = join(FIXTURES, 'warehouse', 'fx', table, 'metadata');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.metadata.json'))
    .sort();
  return join(dir, files[files.length - 1] as string);
}

export interface ExpectedSnapshot {
  snapshot_id: string;
  parent_id: string | null;
  sequence_number: number;
  timestamp_ms: number;
  operation: string;
  summary: Record<string, string>;
  rows: Record<string, unknown>[];
  arrow_schema: string[];
}
export interface Expected {
  format_version: number;
  table_uuid: string;
  metadata_location: string;
  current_snapshot_id: string | null;
  schema: Record<string, unknown>;
  spec: Record<string, unknown>;
  sort_order: Record<string, unknown>;
  snapshots: ExpectedSnapshot[];
  refs: Record<string, string>;
  current_rows: Record<string, unknown>[];
  data_files: string[];
}
export function expected(table: string): Expected {
  return JSON.parse(readFileSync(join(FIXTURES, `${table}.expected.json`), 'utf8')) as Expected;
}
