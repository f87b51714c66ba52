/**
 * A table version: the reconciled log state (PROTOCOL.md "Action Reconciliation") — protocol,
 * metadata, active files keyed by path + deletion-vector id, transaction versions by appId and
 * domain metadata — plus what can be done with it: list files (typed partition values, lazily
 * parsed statistics, data skipping) and read rows into Arrow.
 */
import type { RecordBatch, Schema, Table } from 'apache-arrow';
import type { ObjectStore } from '../storage/index.js';
import type {
  AddAction,
  DeletionVectorDescriptor,
  DomainMetadataAction,
  LogAction,
  MetadataAction,
  ProtocolAction,
  TxnAction,
} from './actions.js';
import { type AddSource, ArrayAddSource, CheckpointAdds } from './checkpoint-arrow.js';
import { deletionVectorId, keyInStore } from './deletion-vector.js';
import { DeltaError } from './errors.js';
import { type ColumnStats, type Filter, normalizeValue, statsMayMatch } from './filter.js';
import type { CheckpointContents } from './log.js';
import { checkReadable } from './protocol.js';
import { collectTable, type ReadOptions, readFilesToBatches } from './scan.js';
import {
  type ColumnMappingMode,
  columnMappingMode,
  type DeltaStructField,
  type DeltaStructType,
  type PartitionScalar,
  parsePartitionValue,
  parseSchema,
  physicalName,
  toArrowSchema,
} from './schema.js';

/**
 * Mutable state while replaying; frozen into a `Snapshot`. Checkpoint adds (already reconciled,
 * possibly millions) stay in their sources, columnar; only commits after the checkpoint go through
 * the keyed map, and a commit touching a checkpoint file marks its key as superseded.
 */
export class LogState {
  protocol: ProtocolAction | undefined;
  metadata: MetadataAction | undefined;
  readonly checkpointAdds: AddSource[] = [];
  readonly adds = new Map<string, AddAction>();
  /** Keys of checkpoint adds that a later commit removed or re-added. */
  readonly superseded = new Set<string>();
  readonly txns = new Map<string, TxnAction>();
  readonly domains = new Map<string, DomainMetadataAction>();

  /** Checkpoint content: already reconciled, removes there are tombstones only. */
  applyCheckpoint(cp: CheckpointContents): void {
    for (const src of cp.adds) if (src.length > 0) this.checkpointAdds.push(src);
    for (const a of cp.actions) {
      if (a.add) this.checkpointAdds.push(new ArrayAddSource([a.add]));
      else if (a.metaData) this.metadata = a.metaData;
      else if (a.protocol) this.protocol = a.protocol;
      else if (a.txn) this.txns.set(a.txn.appId, a.txn);
      else if (a.domainMetadata && !a.domainMetadata.removed)
        this.domains.set(a.domainMetadata.domain, a.domainMetadata);
    }
  }

  /** One commit (or compacted range): removes first so a re-added file in the same commit survives. */
  applyCommit(actions: LogAction[]): void {
    const fromCheckpoint = this.checkpointAdds.length > 0;
    for (const a of actions) {
      if (!a.remove) continue;
      const key = fileKey(a.remove.path, a.remove.deletionVector);
      this.adds.delete(key);
      if (fromCheckpoint) this.superseded.add(key);
    }
    for (const a of actions) {
      if (a.add) {
        const key = fileKey(a.add.path, a.add.deletionVector);
        this.adds.set(key, a.add);
        if (fromCheckpoint) this.superseded.add(key);
      } else if (a.metaData) this.metadata = a.metaData;
      else if (a.protocol) this.protocol = a.protocol;
      else if (a.txn) this.txns.set(a.txn.appId, a.txn);
      else if (a.domainMetadata) {
        if (a.domainMetadata.removed) this.domains.delete(a.domainMetadata.domain);
        else this.domains.set(a.domainMetadata.domain, a.domainMetadata);
      }
    }
  }

  /** The live adds, each made by `make`: surviving checkpoint adds, then those of later commits. */
  activeFiles<T>(make: (src: AddSource, i: number) => T): T[] {
    const out: T[] = [];
    const supersededPaths = new Set<string>();
    for (const key of this.superseded) supersededPaths.add(key.split('\u0000')[0]!);
    for (const src of this.checkpointAdds) {
      const gone = new Set<number>();
      if (supersededPaths.size > 0) {
        const candidates =
          src instanceof CheckpointAdds
            ? src.candidates(supersededPaths)
            : Array.from({ length: src.length }, (_, i) => i);
        for (const i of candidates)
          if (this.superseded.has(fileKey(src.path(i), src.deletionVector(i)))) gone.add(i);
      }
      const len = src.length;
      if (gone.size === 0) for (let i = 0; i < len; i++) out.push(make(src, i));
      else for (let i = 0; i < len; i++) if (!gone.has(i)) out.push(make(src, i));
    }
    const recent = new ArrayAddSource([...this.adds.values()]);
    for (let i = 0; i < recent.length; i++) out.push(make(recent, i));
    return out;
  }
}

export function fileKey(path: string, dv: DeletionVectorDescriptor | null | undefined): string {
  return dv ? `${path}\u0000${deletionVectorId(dv)}` : path;
}

/** Statistics of one file with logical column names (PROTOCOL.md "Per-file Statistics"). */
export interface FileStatistics {
  numRecords?: number;
  minValues: Record<string, unknown>;
  maxValues: Record<string, unknown>;
  nullCount: Record<string, unknown>;
  /** False when bounds may be wider than the live rows (e.g. after a deletion vector was added). */
  tightBounds?: boolean;
}

/** An active data file of a snapshot. */
export interface DeltaFile {
  /** Path as written in the log (URI-encoded, relative to the table root or absolute). */
  readonly path: string;
  /** Key of the file in the table's object store. */
  readonly key: string;
  readonly size: number;
  readonly modificationTime: number;
  readonly dataChange: boolean;
  /** Partition values by logical column name, typed per the schema. */
  readonly partitionValues: Readonly<Record<string, PartitionScalar>>;
  readonly deletionVector: DeletionVectorDescriptor | undefined;
  readonly tags: Readonly<Record<string, string | null>> | undefined;
  /** Parsed on first access; undefined when the writer recorded none. */
  readonly stats: FileStatistics | undefined;
  /** The raw add action. */
  readonly add: AddAction;
}

export interface SnapshotContext {
  store: ObjectStore;
  table: string;
}

export interface SnapshotInit {
  version: number;
  /** Commit timestamp (ms since the epoch) of `version`. */
  timestamp: number;
  state: LogState;
}

export class Snapshot {
  readonly version: number;
  readonly timestamp: number;
  readonly metadata: MetadataAction;
  readonly protocol: ProtocolAction;
  readonly schema: DeltaStructType;
  readonly arrowSchema: Schema;
  readonly partitionColumns: readonly string[];
  readonly columnMapping: ColumnMappingMode;
  readonly #state: LogState;
  readonly #ctx: SnapshotContext;
  #files: DeltaFile[] | undefined;

  constructor(ctx: SnapshotContext, init: SnapshotInit) {
    const { state, version } = init;
    if (!state.protocol || !state.metadata) {
      throw new DeltaError({
        code: 'InvalidMetadata',
        message: `version ${version} of ${ctx.table} has no ${state.protocol ? 'metaData' : 'protocol'} action in its log`,
        table: ctx.table,
        version,
      });
    }
    checkReadable(state.protocol, ctx.table, version);
    this.#ctx = ctx;
    this.#state = state;
    this.version = version;
    this.timestamp = init.timestamp;
    this.metadata = state.metadata;
    this.protocol = state.protocol;
    this.schema = parseSchema(state.metadata.schemaString, version);
    this.arrowSchema = toArrowSchema(this.schema.fields);
    this.partitionColumns = state.metadata.partitionColumns ?? [];
    this.columnMapping = columnMappingMode(state.metadata.configuration ?? {});
  }

  /** Table properties (`delta.*` and user ones). */
  get configuration(): Readonly<Record<string, string>> {
    return this.metadata.configuration ?? {};
  }

  /** Latest `txn` version of an application (idempotent writers), if any. */
  transactionVersion(appId: string): number | undefined {
    return this.#state.txns.get(appId)?.version;
  }

  /** Configuration of a live metadata domain. */
  domainMetadata(domain: string): string | undefined {
    return this.#state.domains.get(domain)?.configuration;
  }

  get numFiles(): number {
    return this.files().length;
  }

  /** Active files; with `filter`, only those that may hold matching rows (data skipping). */
  files(opts: { filter?: Filter } = {}): DeltaFile[] {
    this.#files ??= this.#state.activeFiles((src, i) => new ActiveFile(this, src, i));
    if (!opts.filter || opts.filter.length === 0) return this.#files;
    const filter = opts.filter;
    return this.#files.filter((f) => this.fileMayMatch(f, filter));
  }

  /** Data-skipping check of one file: false only if partition values or stats rule it out. */
  fileMayMatch(file: DeltaFile, filter: Filter): boolean {
    for (const [column, op, operand] of filter) {
      const field = this.field(column);
      const norm = normalizeOperand(operand, field, column);
      if (this.partitionColumns.includes(column)) {
        const v = normalizeValue(file.partitionValues[column], field.type, column);
        if (!statsMayMatch({ min: v, max: v, nullCount: v === null ? 1 : 0, numRecords: 1 }, op, norm))
          return false;
        continue;
      }
      const stats = file.stats;
      if (!stats || typeof field.type !== 'string') continue;
      const t = field.type;
      const widenMax = t === 'timestamp' || t === 'timestamp_ntz';
      let min: ColumnStats['min'];
      let max: ColumnStats['max'];
      try {
        min = statValue(stats.minValues[column], t, column);
        max = statValue(stats.maxValues[column], t, column);
      } catch {
        continue; // Unparseable stats only cost skipping, never correctness.
      }
      // Timestamp stats are written with millisecond precision, truncated: widen the max.
      if (widenMax && typeof max === 'bigint') max += 999n;
      const nc = stats.nullCount[column];
      const s: ColumnStats = {
        min,
        max,
        ...(typeof nc === 'number' ? { nullCount: nc } : {}),
        ...(stats.numRecords !== undefined ? { numRecords: stats.numRecords } : {}),
      };
      if (!statsMayMatch(s, op, norm)) return false;
    }
    return true;
  }

  /** The logical field of a top-level column, or an `InvalidArgument` error naming it. */
  field(column: string): DeltaStructField {
    const f = this.schema.fields.find((x) => x.name === column);
    if (!f)
      throw new DeltaError({
        code: 'InvalidArgument',
        message: `column "${column}" is not in the schema of ${this.#ctx.table} at version ${this.version}`,
        table: this.#ctx.table,
        version: this.version,
      });
    return f;
  }

  /** Streams Arrow record batches of the live rows (deletion vectors applied), file by file. */
  batches(opts: ReadOptions = {}): AsyncIterable<RecordBatch> {
    const files = this.files(opts.filter ? { filter: opts.filter } : {});
    return readFilesToBatches(this.#ctx, this, files, opts);
  }

  /** All live rows as one Arrow table with logical column names. */
  async toArrow(opts: ReadOptions = {}): Promise<Table> {
    return collectTable(this, this.batches(opts), opts.columns);
  }

  /** @internal Partition values of an add action, typed by the schema. */
  partitionValuesOf(add: AddAction): Record<string, PartitionScalar> {
    const out: Record<string, PartitionScalar> = {};
    if (this.partitionColumns.length === 0) return out;
    const raw = add.partitionValues;
    for (const col of this.partitionColumns) {
      const field = this.field(col);
      out[col] = parsePartitionValue(raw?.[physicalName(field, this.columnMapping)], field.type, col);
    }
    return out;
  }

  /** @internal Store key of a path in the log. */
  keyOf(path: string): string {
    return resolveDataKey(this.#ctx, path);
  }

  /** @internal */
  statsOf(add: AddAction): FileStatistics | undefined {
    return this.#parseStats(add);
  }

  #parseStats(add: AddAction): FileStatistics | undefined {
    let raw: Record<string, unknown> | undefined;
    if (add.statsParsed) raw = add.statsParsed;
    else if (add.stats) {
      try {
        raw = JSON.parse(add.stats) as Record<string, unknown>;
      } catch {
        return undefined; // Broken stats disable skipping for this file; they never change rows.
      }
    }
    if (!raw) return undefined;
    // Stats are keyed by physical names; expose logical (top-level) names.
    const rename = (o: unknown): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      if (!o || typeof o !== 'object') return out;
      const src = o as Record<string, unknown>;
      for (const f of this.schema.fields) {
        const p = physicalName(f, this.columnMapping);
        if (p in src) out[f.name] = src[p];
      }
      return out;
    };
    return {
      ...(typeof raw.numRecords === 'number' ? { numRecords: raw.numRecords } : {}),
      minValues: rename(raw.minValues),
      maxValues: rename(raw.maxValues),
      nullCount: rename(raw.nullCount),
      ...(typeof raw.tightBounds === 'boolean' ? { tightBounds: raw.tightBounds } : {}),
    };
  }
}

/**
 * A live file. Accessors live on the prototype and decode partition values, statistics and the
 * store key on first use: a snapshot of a million files must not pay for what nobody reads.
 */
class ActiveFile implements DeltaFile {
  readonly #snapshot: Snapshot;
  readonly #src: AddSource;
  readonly #i: number;
  #path: string | undefined;
  /** Decoded on first use; one slot keeps a million untouched files small. */
  #memo: FileMemo | undefined;

  constructor(snapshot: Snapshot, src: AddSource, i: number) {
    this.#snapshot = snapshot;
    this.#src = src;
    this.#i = i;
  }
  get #m(): FileMemo {
    this.#memo ??= { add: this.#src.action(this.#i), stats: null };
    return this.#memo;
  }
  get add(): AddAction {
    return this.#m.add;
  }
  get path(): string {
    // Made from the checkpoint's path column on first use, then kept (sorts read it often).
    this.#path ??= this.#src.path(this.#i);
    return this.#path;
  }
  get key(): string {
    const m = this.#m;
    m.key ??= this.#snapshot.keyOf(this.path);
    return m.key;
  }
  get size(): number {
    return this.add.size;
  }
  get modificationTime(): number {
    return this.add.modificationTime;
  }
  get dataChange(): boolean {
    return this.add.dataChange;
  }
  get partitionValues(): Readonly<Record<string, PartitionScalar>> {
    const m = this.#m;
    m.partitionValues ??= this.#snapshot.partitionValuesOf(m.add);
    return m.partitionValues;
  }
  get deletionVector(): DeletionVectorDescriptor | undefined {
    return this.#src.deletionVector(this.#i) ?? undefined;
  }
  get tags(): Readonly<Record<string, string | null>> | undefined {
    return this.add.tags ?? undefined;
  }
  get stats(): FileStatistics | undefined {
    const m = this.#m;
    if (m.stats === null) m.stats = this.#snapshot.statsOf(m.add);
    return m.stats;
  }
}

interface FileMemo {
  add: AddAction;
  key?: string;
  partitionValues?: Record<string, PartitionScalar>;
  /** null: not parsed yet. */
  stats: FileStatistics | undefined | null;
}

function normalizeOperand(
  operand: Filter[number][2],
  field: DeltaStructField,
  column: string,
): ReturnType<typeof normalizeValue> | ReturnType<typeof normalizeValue>[] {
  if (Array.isArray(operand)) return operand.map((v) => normalizeValue(v, field.type, column));
  return normalizeValue(operand as unknown, field.type, column);
}

function statValue(v: unknown, t: string, column: string): ColumnStats['min'] {
  if (v === undefined || v === null || typeof v === 'object') return undefined;
  if (t === 'timestamp' || t === 'timestamp_ntz') return normalizeValue(String(v), t, column);
  if (t === 'date') return normalizeValue(String(v), t, column);
  return v as ColumnStats['min'];
}

/** Store key of a data (or cdc) file path from the log: relative paths are URI-encoded. */
export function resolveDataKey(ctx: SnapshotContext, path: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
    const key = keyInStore(ctx.store, path);
    if (key === undefined)
      throw new DeltaError({
        code: 'InvalidArgument',
        message: `file ${path} of ${ctx.table} lies outside the table's store ${ctx.store.url}`,
        table: ctx.table,
        file: path,
      });
    return key;
  }
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
