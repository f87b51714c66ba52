/**
 * A tiny in-process catalog for unit tests: applies the REST updates the table layer sends
 * (add-snapshot, set-snapshot-ref, remove-snapshot-ref, remove-snapshots), checks the
 * requirements (assert-table-uuid, assert-ref-snapshot-id) with a 409-style error, and writes each
 * new metadata file to disk so PyIceberg's StaticTable can read the result. `failNext` injects
 * conflicts and unknown commit states.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IcebergError } from '../../../src/iceberg/errors.js';
import type { CatalogOps } from '../../../src/iceberg/table/commit.js';
import {
  type PartitionSpec,
  partitionSpecFromJson,
  type SortOrder,
  snapshotFromJson,
  stringifyJson,
  type TableMetadata,
  tableMetadataToJson,
} from '../../../src/iceberg/table/metadata.js';
import { highestFieldId, type Schema, schemaFromJson } from '../../../src/iceberg/table/types.js';

export class MemoryCatalog implements CatalogOps {
  metadata: TableMetadata;
  commits = 0;
  metadataFile = '';
  /** Errors to throw on the next commits, in order. */
  failNext: ('conflict' | 'unknown' | 'server' | 'unknown-after-apply')[] = [];
  private lastAddedSchema = 0;
  private lastAddedSpec = 0;
  /** Runs before a commit is checked (to simulate a concurrent writer). */
  beforeCommit?: () => Promise<void>;

  constructor(metadata: TableMetadata) {
    this.metadata = metadata;
    this.writeMetadataFile();
  }

  static create(
    location: string,
    schema: Schema,
    spec: PartitionSpec = { specId: 0, fields: [] },
    order: SortOrder = { orderId: 0, fields: [] },
    formatVersion: 1 | 2 = 2,
  ): MemoryCatalog {
    return new MemoryCatalog({
      formatVersion,
      tableUuid: randomUUID(),
      location,
      lastSequenceNumber: 0,
      lastUpdatedMs: Date.now(),
      lastColumnId: highestFieldId(schema),
      schemas: [schema],
      currentSchemaId: schema.schemaId,
      partitionSpecs: [spec],
      defaultSpecId: spec.specId,
      lastPartitionId: Math.max(999, ...spec.fields.map((f) => f.fieldId)),
      properties: {},
      snapshots: [],
      snapshotLog: [],
      metadataLog: [],
      sortOrders: [order],
      defaultSortOrderId: order.orderId,
      refs: {},
    });
  }

  private writeMetadataFile(): void {
    if (!this.metadata.location.startsWith('file:')) return;
    const dir = join(fileURLToPath(this.metadata.location), 'metadata');
    mkdirSync(dir, { recursive: true });
    this.metadataFile = join(dir, `${String(this.commits).padStart(5, '0')}-${randomUUID()}.metadata.json`);
    writeFileSync(this.metadataFile, stringifyJson(tableMetadataToJson(this.metadata), 1));
  }

  async refresh(): Promise<TableMetadata> {
    return this.metadata;
  }

  async commit(change: { requirements: unknown[]; updates: unknown[] }): Promise<TableMetadata> {
    await this.beforeCommit?.();
    const fail = this.failNext.shift();
    if (fail === 'conflict')
      throw new IcebergError({
        message: 'injected conflict',
        kind: 'http',
        status: 409,
        code: 'CommitFailedException',
        commit: true,
      });
    if (fail === 'unknown')
      throw new IcebergError({ message: 'injected unknown state', kind: 'http', status: 504, commit: true });
    if (fail === 'server')
      throw new IcebergError({ message: 'injected bad request', kind: 'http', status: 400, commit: true });
    const md: TableMetadata = structuredClone(this.metadata);
    for (const r of change.requirements as Record<string, unknown>[]) {
      const ok =
        r.type === 'assert-table-uuid'
          ? r.uuid === md.tableUuid
          : r.type === 'assert-ref-snapshot-id'
            ? (md.refs[r.ref as string]?.snapshotId ?? null) ===
              (r['snapshot-id'] === null ? null : BigInt(r['snapshot-id'] as bigint))
            : r.type === 'assert-current-schema-id'
              ? r['current-schema-id'] === md.currentSchemaId
              : r.type === 'assert-default-spec-id'
                ? r['default-spec-id'] === md.defaultSpecId
                : r.type === 'assert-last-assigned-partition-id'
                  ? r['last-assigned-partition-id'] === md.lastPartitionId
                  : false;
      if (!ok)
        throw new IcebergError({
          message: `requirement failed: ${r.type}`,
          kind: 'http',
          status: 409,
          code: 'CommitFailedException',
          commit: true,
        });
    }
    for (const u of change.updates as Record<string, unknown>[]) {
      switch (u.action) {
        case 'add-snapshot': {
          const s = snapshotFromJson(
            JSON.parse(stringifyJson(u.snapshot), (_k, v, c?: { source?: string }) =>
              typeof v === 'number' && !Number.isSafeInteger(v) && c?.source ? BigInt(c.source) : v,
            ),
            'add-snapshot',
          );
          md.snapshots.push(s);
          md.lastSequenceNumber = Math.max(md.lastSequenceNumber, s.sequenceNumber);
          md.lastUpdatedMs = s.timestampMs;
          break;
        }
        case 'set-snapshot-ref': {
          const id = BigInt(u['snapshot-id'] as bigint);
          md.refs[u['ref-name'] as string] = { snapshotId: id, type: u.type as 'branch' | 'tag' };
          if (u['ref-name'] === 'main') {
            md.currentSnapshotId = id;
            // As Java's catalogs do, the log entry carries the snapshot's own timestamp.
            const ts = md.snapshots.find((s) => s.snapshotId === id)?.timestampMs ?? Date.now();
            md.snapshotLog.push({ timestampMs: ts, snapshotId: id });
          }
          break;
        }
        case 'remove-snapshot-ref':
          delete md.refs[u['ref-name'] as string];
          break;
        case 'remove-snapshots': {
          const ids = new Set((u['snapshot-ids'] as bigint[]).map(BigInt));
          md.snapshots = md.snapshots.filter((s) => !ids.has(s.snapshotId));
          md.snapshotLog = md.snapshotLog.filter((e) => !ids.has(e.snapshotId));
          break;
        }
        case 'add-schema': {
          const sc = schemaFromJson(u.schema, 'add-schema');
          md.schemas.push(sc);
          md.lastColumnId = Math.max(md.lastColumnId, Number(u['last-column-id'] ?? 0));
          this.lastAddedSchema = sc.schemaId;
          break;
        }
        case 'set-current-schema':
          md.currentSchemaId = u['schema-id'] === -1 ? this.lastAddedSchema : Number(u['schema-id']);
          break;
        case 'add-spec': {
          const sp = partitionSpecFromJson(u.spec, 'add-spec');
          md.partitionSpecs.push(sp);
          md.lastPartitionId = Math.max(md.lastPartitionId, ...sp.fields.map((f) => f.fieldId));
          this.lastAddedSpec = sp.specId;
          break;
        }
        case 'set-default-spec':
          md.defaultSpecId = u['spec-id'] === -1 ? this.lastAddedSpec : Number(u['spec-id']);
          break;
        default:
          throw new Error(`memory catalog: unsupported update ${String(u.action)}`);
      }
    }
    this.metadata = md;
    this.commits++;
    this.writeMetadataFile();
    if (fail === 'unknown-after-apply')
      throw new IcebergError({ message: 'injected timeout after apply', kind: 'timeout', commit: true });
    return md;
  }
}
