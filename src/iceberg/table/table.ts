/**
 * `IcebergTable`: what test code drives — metadata accessors, scans to Arrow (by snapshot id,
 * time, ref; incremental between snapshots), writes (`append`, `overwrite`, `delete`, `upsert`,
 * copy-on-write), refs (branches and tags), `expireSnapshots` and `inspect` tables. It sits on a
 * `CatalogOps` (the REST catalog, or any other committer) and a `FileIO` for data and metadata.
 */
import { randomUUID } from 'node:crypto';
import { makeData, RecordBatch, Struct, type Table, tableFromArrays } from 'apache-arrow';
import type { IcebergRestCatalog } from '../catalog.js';
import { buildColumn, schemaToArrow, valueReader } from './arrow.js';
import { type CatalogOps, type CommitResult, commitWithRetry, type RetryPolicy } from './commit.js';
import { validationError } from './errors.js';
import { and, bind, type Expression, eq as eqExpr, evalRow, isIn, or } from './expressions.js';
import { type FileIO, localFileIO } from './io.js';
import { type DataFile, EntryStatus, FileContent } from './manifest.js';
import {
  ancestorsOf,
  buildPartitionSpec,
  currentSnapshot,
  type PartitionSpec,
  partitionSpecToJson,
  type Snapshot,
  type SortOrder,
  schemaOf,
  snapshotById,
  sortOrderOf,
  specOf,
  type TableMetadata,
  tableMetadataFromJson,
} from './metadata.js';
import { newDeleteCache, planToArrow, type ReadOptions, readPlan, readTask, tupleKey } from './read.js';
import {
  type FileScanTask,
  planAppendedFiles,
  planFiles,
  readManifestEntries,
  readManifestListOf,
  type ScanOptions,
  type ScanPlan,
} from './scan.js';
import { objectStoreFileIO, type S3Settings, s3SettingsFromConfig } from './store-io.js';
import { transformToString } from './transforms.js';
import {
  type IcebergType,
  isPrimitive,
  isPromotionAllowed,
  makeSchema,
  type NestedField,
  type PrimitiveType,
  required,
  type Schema,
  schemaToJson,
  typeToString,
} from './types.js';
import type { IcebergValue } from './values.js';
import { encodeParquet, takeBatch, toTableBatch, type WriteInput, writeDataFiles } from './write.js';

export interface WriteOptions {
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /** Branch to commit to (default `main`). */
  branch?: string;
  /**
   * Extra snapshot summary properties, committed atomically with the data (e.g. the Kafka
   * positions of a CDC sink, so that a restart resumes exactly where the table is).
   */
  snapshotProperties?: Record<string, string>;
}

export interface UpsertResult {
  updated: number;
  inserted: number;
  snapshot?: Snapshot;
}

export class IcebergTable {
  #metadata: TableMetadata;
  readonly io: FileIO;
  readonly ops: CatalogOps;
  /** Human name for errors, e.g. `db.customers`. */
  readonly name: string;

  constructor(metadata: TableMetadata, io: FileIO, ops: CatalogOps, name = metadata.location) {
    this.#metadata = metadata;
    this.io = io;
    this.ops = ops;
    this.name = name;
  }

  get metadata(): TableMetadata {
    return this.#metadata;
  }
  schema(): Schema {
    return schemaOf(this.#metadata);
  }
  spec(): PartitionSpec {
    return specOf(this.#metadata);
  }
  sortOrder(): SortOrder {
    return sortOrderOf(this.#metadata);
  }
  currentSnapshot(): Snapshot | undefined {
    return currentSnapshot(this.#metadata);
  }
  /** Snapshots oldest first, with operation, summary, parent and timestamp. */
  snapshots(): Snapshot[] {
    return [...this.#metadata.snapshots].sort((a, b) => a.timestampMs - b.timestampMs);
  }
  snapshot(id: bigint | number | string): Snapshot {
    return snapshotById(this.#metadata, BigInt(id));
  }
  /** Reloads metadata from the catalog. */
  async refresh(signal?: AbortSignal): Promise<this> {
    this.#metadata = await this.ops.refresh(signal);
    return this;
  }

  // ------------------------------------------------------------------------------ reads

  /** Plans a scan (files, deletes, residuals) without reading data. */
  planFiles(opts: ScanOptions = {}): Promise<ScanPlan> {
    return planFiles(this.#metadata, this.io, opts);
  }
  /** Streams matching rows as Arrow record batches. */
  async *batches(opts: ScanOptions & ReadOptions = {}): AsyncGenerator<RecordBatch> {
    yield* readPlan(this.io, await this.planFiles(opts), opts);
  }
  /** Reads matching rows into one Arrow table. */
  async toArrow(opts: ScanOptions & ReadOptions = {}): Promise<Table> {
    return planToArrow(this.io, await this.planFiles(opts), opts);
  }
  /** Rows appended after snapshot `from` (exclusive) up to `to` (inclusive, default current). */
  async readAppended(
    from: bigint | number | string | undefined,
    to?: bigint | number | string,
    opts: ReadOptions & { filter?: Expression } = {},
  ): Promise<Table> {
    const toId = to === undefined ? this.#metadata.currentSnapshotId : BigInt(to);
    if (toId === undefined) throw validationError('NoSuchSnapshot', `table ${this.name} has no snapshot`);
    const plan = await planAppendedFiles(
      this.#metadata,
      this.io,
      from === undefined ? undefined : BigInt(from),
      toId,
      opts,
    );
    return planToArrow(this.io, plan, opts);
  }

  // ------------------------------------------------------------------------------ writes

  async #commit(
    stage: Parameters<typeof commitWithRetry>[3],
    opts: WriteOptions,
    keep: string[] = [],
    uploads: Promise<unknown>[] = [],
  ): Promise<CommitResult> {
    const r = await commitWithRetry(this.ops, this.io, this.#metadata, stage, {
      ...(opts.retry ? { retry: opts.retry } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      keep,
      uploads,
    });
    this.#metadata = r.metadata;
    return r;
  }

  /** Appends rows (Arrow table or row objects matching the schema). */
  async append(data: WriteInput, opts: WriteOptions = {}): Promise<Snapshot> {
    const md = this.#metadata;
    const schema = schemaOf(md);
    const batch = await toTableBatch(data, schema);
    const keep: string[] = [];
    // The data files upload while the snapshot is staged; the commit waits for them.
    const uploads: Promise<unknown>[] = [];
    let files: DataFile[];
    try {
      files = await writeDataFiles(this.io, md.location, batch, schema, specOf(md), keep, uploads);
    } catch (e) {
      await Promise.allSettled(uploads);
      await Promise.all(keep.map((p) => this.io.delete(p).catch(() => undefined)));
      throw e;
    }
    const r = await this.#commit(
      async () => ({
        change: {
          operation: 'append',
          added: files,
          removed: new Set(),
          branch: opts.branch ?? 'main',
          ...(opts.snapshotProperties ? { properties: opts.snapshotProperties } : {}),
        },
      }),
      opts,
      keep,
      uploads,
    );
    return r.snapshot;
  }

  /**
   * Copy-on-write removal of the rows matching `filter`, optionally adding `data` in the same
   * snapshot. Files whose rows all match are dropped; files with some matching rows are rewritten
   * without them. Re-planned against the new head on every retry.
   */
  async #rewrite(
    filter: Expression,
    data: WriteInput | undefined,
    operation: 'delete' | 'overwrite',
    opts: WriteOptions,
  ): Promise<{ snapshot?: Snapshot; deletedRows: number }> {
    const schema = schemaOf(this.#metadata);
    const bound = bind(filter, schema); // unknown columns fail here, before anything is written
    const newRows = data === undefined ? undefined : await toTableBatch(data, schema);
    let deletedRows = 0;
    let changed = true;
    const r = await this.#commit(async (base, written) => {
      deletedRows = 0;
      const baseSchema = schemaOf(base);
      const plan = await planFiles(base, this.io, { filter, ...(opts.branch ? { ref: opts.branch } : {}) });
      const removed = new Set<string>();
      const added = [];
      const cache = newDeleteCache();
      for (const task of plan.tasks) {
        // Read every row of the file (deletes applied), then keep the ones the filter does not match.
        const all: FileScanTask = { ...task, residual: { op: 'true' } };
        const batches = await readTask(this.io, all, baseSchema, baseSchema.fields, cache, opts.signal);
        let total = 0;
        const keptBatches: RecordBatch[] = [];
        for (const b of batches) {
          const readers = new Map<number, (i: number) => IcebergValue | null>();
          const getReader = (id: number) => {
            let rd = readers.get(id);
            if (!rd) {
              const f = baseSchema.fields.findIndex((x) => x.id === id);
              const field = baseSchema.fields[f];
              const vec = f >= 0 ? b.getChildAt(f) : null;
              rd = vec && field && isPrimitive(field.type) ? valueReader(vec, field.type) : () => null;
              readers.set(id, rd);
            }
            return rd;
          };
          const keepIdx: number[] = [];
          for (let i = 0; i < b.numRows; i++) if (!evalRow(bound, (id) => getReader(id)(i))) keepIdx.push(i);
          total += b.numRows;
          deletedRows += b.numRows - keepIdx.length;
          if (keepIdx.length > 0) keptBatches.push(keepIdx.length === b.numRows ? b : takeBatch(b, keepIdx));
        }
        const keptRows = keptBatches.reduce((s, b) => s + b.numRows, 0);
        if (keptRows === total && task.deletes.length === 0) continue; // nothing in this file matched
        removed.add(task.file.filePath);
        for (const kb of keptBatches)
          added.push(
            ...(await writeDataFiles(this.io, base.location, kb, baseSchema, specOf(base), written)),
          );
      }
      if (newRows)
        added.push(
          ...(await writeDataFiles(this.io, base.location, newRows, baseSchema, specOf(base), written)),
        );
      changed = removed.size > 0 || added.length > 0;
      const op = operation === 'delete' && added.length > 0 ? 'overwrite' : operation;
      return {
        change: {
          operation: op,
          added,
          removed,
          branch: opts.branch ?? 'main',
          ...(opts.snapshotProperties ? { properties: opts.snapshotProperties } : {}),
        },
      };
    }, opts);
    void changed;
    return { snapshot: r.snapshot, deletedRows };
  }

  /**
   * Deletes the rows matching `filter`. Default copy-on-write (files rewritten without the rows);
   * `mode: 'merge-on-read'` (format v2) instead writes position delete files naming the deleted
   * rows (spec "Position Delete Files"), leaving data files untouched. Returns rows deleted.
   */
  async delete(
    filter: Expression,
    opts: WriteOptions & { mode?: 'copy-on-write' | 'merge-on-read' } = {},
  ): Promise<{ snapshot?: Snapshot; deletedRows: number }> {
    if (opts.mode !== 'merge-on-read') return this.#rewrite(filter, undefined, 'delete', opts);
    if (this.#metadata.formatVersion < 2)
      throw validationError(
        'UnsupportedFeature',
        `table ${this.name}: merge-on-read deletes need format version 2`,
      );
    const bound = bind(filter, schemaOf(this.#metadata));
    let deletedRows = 0;
    const r = await this.#commit(async (base, written) => {
      deletedRows = 0;
      const schema = schemaOf(base);
      const plan = await planFiles(base, this.io, { filter, ...(opts.branch ? { ref: opts.branch } : {}) });
      const cache = newDeleteCache();
      const removed = new Set<string>();
      const addedDeletes: DataFile[] = [];
      for (const task of plan.tasks) {
        const positions: number[] = [];
        await readTask(this.io, { ...task, residual: bound }, schema, [], cache, opts.signal, positions);
        if (positions.length === 0) continue;
        deletedRows += positions.length;
        if (positions.length === task.file.recordCount && task.deletes.length === 0) {
          removed.add(task.file.filePath); // every row goes: drop the file instead
          continue;
        }
        const path = `${base.location.replace(/\/+$/, '')}/data/${randomUUID()}-deletes.parquet`;
        const bytes = encodeParquet(positionDeleteBatch(task.file.filePath, positions));
        written.push(path);
        await this.io.write(path, bytes, { ifAbsent: true });
        addedDeletes.push({
          content: FileContent.PositionDeletes,
          filePath: path,
          fileFormat: 'PARQUET',
          partition: task.file.partition,
          specId: task.file.specId,
          recordCount: positions.length,
          fileSizeInBytes: bytes.byteLength,
        });
      }
      return {
        change: {
          operation: 'delete',
          added: [],
          removed,
          addedDeletes,
          branch: opts.branch ?? 'main',
          ...(opts.snapshotProperties ? { properties: opts.snapshotProperties } : {}),
        },
      };
    }, opts);
    return { snapshot: r.snapshot, deletedRows };
  }

  /** Replaces the rows matching `filter` (default: all rows) with `data`, in one snapshot. */
  async overwrite(
    data: WriteInput,
    filter?: Expression,
    opts: WriteOptions = {},
  ): Promise<Snapshot | undefined> {
    return (await this.#rewrite(filter ?? { op: 'true' }, data, 'overwrite', opts)).snapshot;
  }

  /**
   * Upserts rows by key columns: existing rows with the same key are replaced, others inserted, in
   * one snapshot. Input keys must be unique.
   */
  async upsert(rows: WriteInput, opts: WriteOptions & { keys?: string[] } = {}): Promise<UpsertResult> {
    const schema = schemaOf(this.#metadata);
    const keys =
      opts.keys ??
      schema.identifierFieldIds
        .map((id) => schema.fields.find((f) => f.id === id)?.name)
        .filter((x): x is string => !!x);
    if (keys.length === 0)
      throw validationError(
        'InvalidUpsert',
        `upsert on ${this.name} needs key columns (keys or identifier fields)`,
      );
    const keyFields = keys.map((k) => {
      const f = schema.fields.find((x) => x.name === k);
      if (!f || !isPrimitive(f.type))
        throw validationError(
          'UnknownColumn',
          `upsert key ${JSON.stringify(k)} is not a primitive column of ${this.name}`,
        );
      return f;
    });
    const batch = await toTableBatch(rows, schema);
    const readers = keyFields.map((f) => valueReader(batch.getChild(f.name)!, f.type as string));
    const seen = new Set<string>();
    const tuples: (IcebergValue | null)[][] = [];
    for (let i = 0; i < batch.numRows; i++) {
      const t = readers.map((r) => r(i));
      const k = tupleKey(t);
      if (seen.has(k))
        throw validationError(
          'DuplicateKey',
          `upsert input has key (${keys.join(', ')}) = (${t.join(', ')}) twice`,
        );
      seen.add(k);
      tuples.push(t);
    }
    const filter =
      keyFields.length === 1
        ? isIn(
            keys[0] as string,
            tuples.map((t) => t[0]),
          )
        : or(...tuples.map((t) => and(...keys.map((k, j) => eqExpr(k, t[j])))));
    // Count how many keys already exist, at the base the upsert is applied to.
    const existing = await this.toArrow({ filter, columns: keys });
    const ex = keyFields.map((f) => valueReader(existing.getChild(f.name)!, f.type as string));
    const found = new Set<string>();
    for (let i = 0; i < existing.numRows; i++) found.add(tupleKey(ex.map((r) => r(i))));
    const { snapshot } = await this.#rewrite(filter, batch as unknown as RecordBatch, 'overwrite', opts);
    return { updated: found.size, inserted: batch.numRows - found.size, ...(snapshot ? { snapshot } : {}) };
  }

  // ------------------------------------------------------------------------------ refs & maintenance

  async #updateMeta(requirements: unknown[], updates: unknown[], signal?: AbortSignal): Promise<void> {
    this.#metadata = await this.ops.commit({ requirements, updates }, signal);
  }
  /** Creates (or moves) a tag at a snapshot. */
  async createTag(
    name: string,
    snapshotId: bigint | number | string,
    opts: { maxRefAgeMs?: number } = {},
  ): Promise<void> {
    const id = this.snapshot(snapshotId).snapshotId;
    await this.#updateMeta(
      [{ type: 'assert-table-uuid', uuid: this.#metadata.tableUuid }],
      [
        {
          action: 'set-snapshot-ref',
          'ref-name': name,
          type: 'tag',
          'snapshot-id': id,
          ...(opts.maxRefAgeMs ? { 'max-ref-age-ms': opts.maxRefAgeMs } : {}),
        },
      ],
    );
  }
  /** Creates a branch at a snapshot (default: current). */
  async createBranch(name: string, snapshotId?: bigint | number | string): Promise<void> {
    const id =
      snapshotId === undefined ? this.#metadata.currentSnapshotId : this.snapshot(snapshotId).snapshotId;
    if (id === undefined)
      throw validationError('NoSuchSnapshot', `table ${this.name} has no snapshot to branch from`);
    if (this.#metadata.refs[name])
      throw validationError('RefExists', `table ${this.name} already has a ref ${JSON.stringify(name)}`);
    await this.#updateMeta(
      [
        { type: 'assert-table-uuid', uuid: this.#metadata.tableUuid },
        { type: 'assert-ref-snapshot-id', ref: name, 'snapshot-id': null },
      ],
      [{ action: 'set-snapshot-ref', 'ref-name': name, type: 'branch', 'snapshot-id': id }],
    );
  }
  async removeRef(name: string): Promise<void> {
    if (name === 'main') throw validationError('InvalidRef', 'the main branch cannot be removed');
    if (!this.#metadata.refs[name])
      throw validationError('NoSuchRef', `table ${this.name} has no ref ${JSON.stringify(name)}`);
    await this.#updateMeta(
      [{ type: 'assert-table-uuid', uuid: this.#metadata.tableUuid }],
      [{ action: 'remove-snapshot-ref', 'ref-name': name }],
    );
  }

  /**
   * Removes snapshots older than `olderThanMs` that no ref needs, keeping at least `retainLast`
   * ancestors of each branch (spec "Snapshot Retention Policy"). Deletes the files only those
   * snapshots used (manifest lists, manifests, data files) after the commit succeeds.
   */
  async expireSnapshots(
    opts: { olderThanMs?: number; retainLast?: number; deleteFiles?: boolean } = {},
  ): Promise<bigint[]> {
    const md = this.#metadata;
    const olderThan = opts.olderThanMs ?? Date.now() - 5 * 24 * 3600 * 1000;
    const retainLast = Math.max(1, opts.retainLast ?? 1);
    const keep = new Set<bigint>();
    for (const [, ref] of Object.entries(md.refs)) {
      keep.add(ref.snapshotId);
      if (ref.type === 'branch') {
        ancestorsOf(md, ref.snapshotId).forEach((s, i) => {
          if (i < retainLast || s.timestampMs >= olderThan) keep.add(s.snapshotId);
        });
      }
    }
    for (const s of md.snapshots) if (s.timestampMs >= olderThan) keep.add(s.snapshotId);
    const expired = md.snapshots.filter((s) => !keep.has(s.snapshotId));
    if (expired.length === 0) return [];
    // Files reachable from kept snapshots must survive.
    const reachable = async (snaps: Snapshot[]) => {
      const files = new Set<string>();
      for (const s of snaps) {
        files.add(s.manifestList);
        for (const m of await readManifestListOf(this.io, s)) {
          files.add(m.manifestPath);
          for (const e of await readManifestEntries(this.io, md, m))
            if (e.status !== EntryStatus.Deleted) files.add(e.dataFile.filePath);
        }
      }
      return files;
    };
    const deleteFiles = opts.deleteFiles ?? true;
    const before = deleteFiles ? await reachable(expired) : new Set<string>();
    await this.#updateMeta(
      [{ type: 'assert-table-uuid', uuid: md.tableUuid }],
      [{ action: 'remove-snapshots', 'snapshot-ids': expired.map((s) => s.snapshotId) }],
    );
    if (deleteFiles) {
      const still = await reachable(this.#metadata.snapshots);
      await Promise.all(
        [...before].filter((f) => !still.has(f)).map((f) => this.io.delete(f).catch(() => undefined)),
      );
    }
    return expired.map((s) => s.snapshotId);
  }

  // ------------------------------------------------------------------------------ evolution

  /**
   * Evolves the schema (spec "Schema Evolution"), top-level columns: add (new ids from
   * last-column-id), rename, drop, widen (int→long, float→double, decimal precision), reorder.
   * Data files are never rewritten: readers match columns by field id.
   */
  async updateSchema(change: {
    add?: { name: string; type: IcebergType; required?: boolean; doc?: string }[];
    rename?: Record<string, string>;
    drop?: string[];
    widen?: Record<string, PrimitiveType>;
    /** New order of (some) column names; unnamed columns follow in their current order. */
    order?: string[];
  }): Promise<Schema> {
    const md = this.#metadata;
    const cur = schemaOf(md);
    let lastId = md.lastColumnId;
    const byName = (n: string) => {
      const f = cur.fields.find((x) => x.name === n);
      if (!f)
        throw validationError(
          'UnknownColumn',
          `schema change on ${this.name}: no column ${JSON.stringify(n)}`,
        );
      return f;
    };
    for (const d of change.drop ?? []) {
      const f = byName(d);
      if (cur.identifierFieldIds.includes(f.id))
        throw validationError('InvalidSchemaChange', `cannot drop identifier column ${d}`);
    }
    let fields: NestedField[] = cur.fields
      .filter((f) => !(change.drop ?? []).includes(f.name))
      .map((f) => {
        const g: NestedField = { ...f };
        const to = change.widen?.[f.name];
        if (to !== undefined) {
          if (!isPromotionAllowed(f.type, to))
            throw validationError(
              'InvalidSchemaChange',
              `column ${f.name}: ${typeToString(f.type)} cannot be widened to ${to}`,
            );
          g.type = to;
        }
        const nn = change.rename?.[f.name];
        if (nn !== undefined) g.name = nn;
        return g;
      });
    for (const k of Object.keys(change.rename ?? {})) byName(k);
    for (const k of Object.keys(change.widen ?? {})) byName(k);
    for (const a of change.add ?? []) {
      if (fields.some((f) => f.name === a.name))
        throw validationError('InvalidSchemaChange', `column ${a.name} already exists`);
      // Spec: a required column cannot be added without a default (old files have no values).
      if (a.required)
        throw validationError(
          'InvalidSchemaChange',
          `cannot add required column ${a.name} (old rows have no value)`,
        );
      const reassign = (t: IcebergType): IcebergType => {
        if (isPrimitive(t)) return t;
        if (t.type === 'struct')
          return {
            type: 'struct',
            fields: t.fields.map((c) => ({ ...c, id: ++lastId, type: reassign(c.type) })),
          };
        if (t.type === 'list') return { ...t, elementId: ++lastId, element: reassign(t.element) };
        return { ...t, keyId: ++lastId, key: reassign(t.key), valueId: ++lastId, value: reassign(t.value) };
      };
      const id = ++lastId;
      fields.push({
        id,
        name: a.name,
        required: false,
        type: reassign(a.type),
        ...(a.doc ? { doc: a.doc } : {}),
      });
    }
    if (change.order) {
      const first = change.order.map((n) => {
        const f = fields.find((x) => x.name === n);
        if (!f) throw validationError('UnknownColumn', `reorder: no column ${JSON.stringify(n)}`);
        return f;
      });
      fields = [...first, ...fields.filter((f) => !change.order?.includes(f.name))];
    }
    const schemaId = Math.max(...md.schemas.map((s) => s.schemaId)) + 1;
    const next = makeSchema(fields, schemaId, cur.identifierFieldIds);
    await this.#updateMeta(
      [
        { type: 'assert-table-uuid', uuid: md.tableUuid },
        { type: 'assert-current-schema-id', 'current-schema-id': md.currentSchemaId },
      ],
      [
        { action: 'add-schema', schema: schemaToJson(next), 'last-column-id': lastId },
        { action: 'set-current-schema', 'schema-id': -1 },
      ],
    );
    return this.schema();
  }

  /** Replaces the default partition spec (spec "Partition Evolution"); old files keep theirs. */
  async updateSpec(fields: { source: string; transform: string; name?: string }[]): Promise<PartitionSpec> {
    const md = this.#metadata;
    const specId = Math.max(...md.partitionSpecs.map((s) => s.specId)) + 1;
    // Partition field ids continue from last-partition-id; a field equal to an old one keeps its id.
    const built = buildPartitionSpec(this.schema(), fields, specId, md.lastPartitionId + 1);
    let last = md.lastPartitionId;
    const old = md.partitionSpecs.flatMap((s) => s.fields);
    built.fields = built.fields.map((f) => {
      const same = old.find(
        (o) => o.sourceId === f.sourceId && transformToString(o.transform) === transformToString(f.transform),
      );
      return same ? { ...f, fieldId: same.fieldId, name: same.name } : { ...f, fieldId: ++last };
    });
    await this.#updateMeta(
      [
        { type: 'assert-table-uuid', uuid: md.tableUuid },
        { type: 'assert-default-spec-id', 'default-spec-id': md.defaultSpecId },
        { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': md.lastPartitionId },
      ],
      [
        { action: 'add-spec', spec: partitionSpecToJson(built) },
        { action: 'set-default-spec', 'spec-id': -1 },
      ],
    );
    return this.spec();
  }

  // ------------------------------------------------------------------------------ inspect

  /** Metadata tables as Arrow, like PyIceberg's `table.inspect`. */
  get inspect() {
    const t = this;
    return {
      snapshots(): Table {
        const s = t.snapshots();
        return tableFromArrays({
          committed_at: s.map((x) => new Date(x.timestampMs).toISOString()),
          snapshot_id: BigInt64Array.from(s.map((x) => x.snapshotId)),
          parent_id: s.map((x) => (x.parentSnapshotId === undefined ? null : x.parentSnapshotId.toString())),
          operation: s.map((x) => x.summary.operation),
          manifest_list: s.map((x) => x.manifestList),
          summary: s.map((x) => JSON.stringify(x.summary)),
        });
      },
      history(): Table {
        const md = t.metadata;
        const ancestors = new Set(ancestorsOf(md, md.currentSnapshotId).map((s) => s.snapshotId));
        const log =
          md.snapshotLog.length > 0
            ? md.snapshotLog
            : md.snapshots.map((s) => ({ timestampMs: s.timestampMs, snapshotId: s.snapshotId }));
        return tableFromArrays({
          made_current_at: log.map((e) => new Date(e.timestampMs).toISOString()),
          snapshot_id: BigInt64Array.from(log.map((e) => e.snapshotId)),
          parent_id: log.map(
            (e) =>
              md.snapshots.find((s) => s.snapshotId === e.snapshotId)?.parentSnapshotId?.toString() ?? null,
          ),
          is_current_ancestor: log.map((e) => ancestors.has(e.snapshotId)),
        });
      },
      async manifests(): Promise<Table> {
        const s = t.currentSnapshot();
        const ms = s ? await readManifestListOf(t.io, s) : [];
        return tableFromArrays({
          path: ms.map((m) => m.manifestPath),
          length: Float64Array.from(ms.map((m) => m.manifestLength)),
          partition_spec_id: Int32Array.from(ms.map((m) => m.partitionSpecId)),
          content: Int32Array.from(ms.map((m) => m.content)),
          added_snapshot_id: BigInt64Array.from(ms.map((m) => m.addedSnapshotId)),
          added_data_files_count: Int32Array.from(ms.map((m) => m.addedFilesCount)),
          existing_data_files_count: Int32Array.from(ms.map((m) => m.existingFilesCount)),
          deleted_data_files_count: Int32Array.from(ms.map((m) => m.deletedFilesCount)),
        });
      },
      async files(): Promise<Table> {
        const plan = await t.planFiles();
        const f = plan.tasks.map((x) => x.file);
        return tableFromArrays({
          content: Int32Array.from(f.map((x) => x.content)),
          file_path: f.map((x) => x.filePath),
          file_format: f.map((x) => x.fileFormat),
          spec_id: Int32Array.from(f.map((x) => x.specId)),
          partition: f.map((x) =>
            JSON.stringify(x.partition, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
          ),
          record_count: Float64Array.from(f.map((x) => x.recordCount)),
          file_size_in_bytes: Float64Array.from(f.map((x) => x.fileSizeInBytes)),
        });
      },
      async partitions(): Promise<Table> {
        const plan = await t.planFiles();
        const md = t.metadata;
        const groups = new Map<string, { spec: number; partition: string; records: number; files: number }>();
        for (const task of plan.tasks) {
          const spec = specOf(md, task.file.specId);
          const text = spec.fields
            .map((pf, i) => `${pf.name}=${String(task.file.partition[i] ?? 'null')}`)
            .join('/');
          const key = `${spec.specId}|${text}`;
          const g = groups.get(key) ?? { spec: spec.specId, partition: text, records: 0, files: 0 };
          g.records += task.file.recordCount;
          g.files += 1;
          groups.set(key, g);
        }
        const gs = [...groups.values()];
        return tableFromArrays({
          partition: gs.map((g) => g.partition),
          spec_id: Int32Array.from(gs.map((g) => g.spec)),
          record_count: Float64Array.from(gs.map((g) => g.records)),
          file_count: Int32Array.from(gs.map((g) => g.files)),
        });
      },
    };
  }

  /** Partition spec and sort order in their human form (`[month(registration_date)]`). */
  describe(): { spec: string[]; sortOrder: string[] } {
    const schema = this.schema();
    const name = (id: number) => schema.fields.find((f) => f.id === id)?.name ?? `#${id}`;
    return {
      spec: this.spec().fields.map(
        (f) => `${transformToString(f.transform)}(${name(f.sourceId)}) as ${f.name}`,
      ),
      sortOrder: this.sortOrder().fields.map(
        (f) => `${transformToString(f.transform)}(${name(f.sourceId)}) ${f.direction} ${f.nullOrder}`,
      ),
    };
  }
}

/** A position delete file's rows (reserved field ids 2147483546 file_path, 2147483545 pos). */
function positionDeleteBatch(filePath: string, positions: number[]): RecordBatch {
  const fields = [required(2147483546, 'file_path', 'string'), required(2147483545, 'pos', 'long')];
  const s = schemaToArrow({ fields });
  const sorted = [...positions].sort((a, b) => a - b);
  const children = [
    buildColumn(
      fields[0] as NestedField,
      sorted.map(() => filePath),
    ),
    buildColumn(
      fields[1] as NestedField,
      sorted.map((p) => BigInt(p)),
    ),
  ];
  return new RecordBatch(
    s,
    makeData({ type: new Struct(s.fields), length: sorted.length, nullCount: 0, children }),
  );
}

// ------------------------------------------------------------------------------ catalog binding

export interface LoadOptions {
  /** S3 settings; vended credentials from the catalog's `config` override them. */
  s3?: S3Settings;
  /** Replace the IO entirely (tests, local warehouses). */
  io?: FileIO;
}

type Ident = Parameters<IcebergRestCatalog['loadTable']>[0];

/** `CatalogOps` over the REST catalog client (loadTable/commitTable). */
export function restCatalogOps(catalog: IcebergRestCatalog, ident: Ident): CatalogOps {
  return {
    async refresh(signal) {
      const r = await catalog.loadTable(ident, signal ? { signal } : {});
      return tableMetadataFromJson(r.metadata, r['metadata-location'] ?? 'metadata');
    },
    async commit(change, signal) {
      const r = await catalog.commitTable(
        ident,
        { requirements: change.requirements as never, updates: change.updates as never },
        signal ? { signal } : {},
      );
      return tableMetadataFromJson(r.metadata, r['metadata-location']);
    },
  };
}

/** Loads a table through the REST catalog, with IO from the vended credentials or `opts.s3`. */
export async function loadIcebergTable(
  catalog: IcebergRestCatalog,
  ident: Ident,
  opts: LoadOptions = {},
): Promise<IcebergTable> {
  const r = await catalog.loadTable(ident);
  const md = tableMetadataFromJson(r.metadata, r['metadata-location'] ?? 'metadata');
  const io =
    opts.io ??
    (md.location.startsWith('s3')
      ? objectStoreFileIO(s3SettingsFromConfig(r.config ?? {}, opts.s3))
      : localFileIO());
  const name = typeof ident === 'string' ? ident : JSON.stringify(ident);
  return new IcebergTable(md, io, restCatalogOps(catalog, ident), name);
}

export interface CreateTableOptions extends LoadOptions {
  schema: Schema;
  /** Partition fields by source column name and transform string, e.g. `{ source: 'd', transform: 'month' }`. */
  partitionBy?: { source: string; transform: string; name?: string }[];
  /** Sort fields by source column name. */
  sortBy?: {
    source: string;
    transform?: string;
    direction?: 'asc' | 'desc';
    nullOrder?: 'nulls-first' | 'nulls-last';
  }[];
  properties?: Record<string, string>;
  location?: string;
  formatVersion?: 1 | 2;
}

/**
 * Creates a table through the REST catalog. The catalog assigns fresh field ids (Java's catalogs
 * renumber breadth-first), so the returned table's schema is the one to use from then on.
 */
export async function createIcebergTable(
  catalog: IcebergRestCatalog,
  namespace: Parameters<IcebergRestCatalog['createTable']>[0],
  name: string,
  opts: CreateTableOptions,
): Promise<IcebergTable> {
  const spec = buildPartitionSpec(opts.schema, opts.partitionBy ?? []);
  const order = {
    'order-id': (opts.sortBy ?? []).length > 0 ? 1 : 0,
    fields: (opts.sortBy ?? []).map((s) => {
      const f = opts.schema.fields.find((x) => x.name === s.source);
      if (!f)
        throw validationError(
          'UnknownColumn',
          `sort column ${JSON.stringify(s.source)} is not in the schema`,
        );
      return {
        'source-id': f.id,
        transform: s.transform ?? 'identity',
        direction: s.direction ?? 'asc',
        'null-order': s.nullOrder ?? ((s.direction ?? 'asc') === 'asc' ? 'nulls-first' : 'nulls-last'),
      };
    }),
  };
  const r = await catalog.createTable(namespace, {
    name,
    schema: schemaToJson(opts.schema) as never,
    'partition-spec': partitionSpecToJson(spec) as never,
    'write-order': order as never,
    properties: { 'format-version': String(opts.formatVersion ?? 2), ...(opts.properties ?? {}) },
    ...(opts.location ? { location: opts.location } : {}),
  });
  const md = tableMetadataFromJson(r.metadata, r['metadata-location'] ?? 'metadata');
  const ident = { namespace, name };
  const nsText = typeof namespace === 'string' ? namespace : namespace.join('.');
  const io =
    opts.io ??
    (md.location.startsWith('s3')
      ? objectStoreFileIO(s3SettingsFromConfig(r.config ?? {}, opts.s3))
      : localFileIO());
  return new IcebergTable(md, io, restCatalogOps(catalog, ident), `${nsText}.${name}`);
}
