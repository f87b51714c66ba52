/**
 * Scan planning (spec "Scan Planning"): choose a snapshot (current, by id, as of a time, by ref),
 * read its manifest list, skip manifests whose partition summaries cannot match the filter, read
 * the rest concurrently, keep live data files whose partition tuple and column metrics may match,
 * and attach the delete files that apply to each: position deletes with a data sequence number ≥
 * the data file's, equality deletes with a strictly greater one, in the same partition (or global
 * equality deletes from an unpartitioned spec).
 */
import { protocolError, validationError } from './errors.js';
import {
  alwaysTrue,
  type Bound,
  bind,
  type Expression,
  evalPartition,
  fileMightMatch,
  manifestMightMatch,
  projectInclusive,
} from './expressions.js';
import type { FileIO } from './io.js';
import {
  type DataFile,
  EntryStatus,
  FileContent,
  type ManifestEntry,
  type ManifestFile,
  readManifest,
  readManifestList,
} from './manifest.js';
import {
  ancestorsOf,
  currentSnapshot,
  type PartitionSpec,
  type Snapshot,
  schemaOf,
  snapshotAsOf,
  snapshotById,
  snapshotByRef,
  specOf,
  type TableMetadata,
} from './metadata.js';
import type { Schema } from './types.js';
import { valuesEqual } from './values.js';

export interface SnapshotSelector {
  snapshotId?: bigint | number | string;
  /** Milliseconds since the epoch, or a Date: the snapshot current at that time. */
  asOf?: number | Date;
  /** Branch or tag name. */
  ref?: string;
}

export interface ScanOptions extends SnapshotSelector {
  filter?: Expression;
  caseSensitive?: boolean;
  /** How many manifests/files are read at once. */
  concurrency?: number;
  signal?: AbortSignal;
}

export interface FileScanTask {
  file: DataFile;
  /** Data sequence number of the file (after inheritance). */
  sequenceNumber: number;
  deletes: { file: DataFile; sequenceNumber: number }[];
  /** Row filter still to apply to the file's rows. */
  residual: Bound;
}

export interface ScanPlan {
  snapshot: Snapshot | undefined;
  /** The schema rows are read with: the snapshot's own schema when it recorded one. */
  schema: Schema;
  filter: Bound;
  tasks: FileScanTask[];
  /** Counters for tests and tuning. */
  metrics: { manifests: number; manifestsSkipped: number; files: number; filesSkipped: number };
}

export function selectSnapshot(md: TableMetadata, sel: SnapshotSelector): Snapshot | undefined {
  const given = [sel.snapshotId !== undefined, sel.asOf !== undefined, sel.ref !== undefined].filter(
    Boolean,
  ).length;
  if (given > 1) throw validationError('InvalidScan', 'choose at most one of snapshotId, asOf and ref');
  if (sel.snapshotId !== undefined) return snapshotById(md, BigInt(sel.snapshotId));
  if (sel.asOf !== undefined)
    return snapshotAsOf(md, sel.asOf instanceof Date ? sel.asOf.getTime() : sel.asOf);
  if (sel.ref !== undefined) return snapshotByRef(md, sel.ref);
  return currentSnapshot(md);
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      signal?.throwIfAborted();
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export async function readManifestListOf(
  io: FileIO,
  snapshot: Snapshot,
  signal?: AbortSignal,
): Promise<ManifestFile[]> {
  return readManifestList(await io.read(snapshot.manifestList, signal), snapshot.manifestList);
}

export async function readManifestEntries(
  io: FileIO,
  md: TableMetadata,
  m: ManifestFile,
  signal?: AbortSignal,
): Promise<ManifestEntry[]> {
  // Partition values are typed by the spec against the current schema: specs only reference
  // field ids, and a type change is only ever a promotion.
  return readManifest(await io.read(m.manifestPath, signal), m, specOf(md, m.partitionSpecId), schemaOf(md));
}

function samePartition(a: DataFile, b: DataFile): boolean {
  if (a.specId !== b.specId || a.partition.length !== b.partition.length) return false;
  return a.partition.every((v, i) => {
    const w = b.partition[i] ?? null;
    return v === null || w === null ? v === w : valuesEqual(v, w);
  });
}

/** Plans a scan: the data files to read, each with its delete files and residual filter. */
export async function planFiles(md: TableMetadata, io: FileIO, opts: ScanOptions = {}): Promise<ScanPlan> {
  const snapshot = selectSnapshot(md, opts);
  const schema =
    snapshot?.schemaId !== undefined && md.schemas.some((s) => s.schemaId === snapshot.schemaId)
      ? schemaOf(md, snapshot.schemaId)
      : schemaOf(md);
  const filter = bind(opts.filter ?? alwaysTrue(), schema, opts.caseSensitive ?? true);
  const metrics = { manifests: 0, manifestsSkipped: 0, files: 0, filesSkipped: 0 };
  if (!snapshot) return { snapshot, schema, filter, tasks: [], metrics };
  const concurrency = opts.concurrency ?? 8;

  const projections = new Map<number, Bound>();
  const projectionFor = (spec: PartitionSpec) => {
    let p = projections.get(spec.specId);
    if (!p) {
      p = projectInclusive(filter, spec, schema);
      projections.set(spec.specId, p);
    }
    return p;
  };

  const manifests = await readManifestListOf(io, snapshot, opts.signal);
  metrics.manifests = manifests.length;
  const wanted = manifests.filter((m) => {
    const ok = manifestMightMatch(projectionFor(specOf(md, m.partitionSpecId)), m.partitions);
    if (!ok) metrics.manifestsSkipped++;
    return ok;
  });
  const entryLists = await mapConcurrent(
    wanted,
    concurrency,
    (m) => readManifestEntries(io, md, m, opts.signal),
    opts.signal,
  );

  const data: ManifestEntry[] = [];
  const deletes: ManifestEntry[] = [];
  entryLists.forEach((entries, i) => {
    const m = wanted[i] as ManifestFile;
    const projected = projectionFor(specOf(md, m.partitionSpecId));
    for (const e of entries) {
      if (e.status === EntryStatus.Deleted) continue;
      if (e.dataFile.content === FileContent.Data) {
        metrics.files++;
        if (!evalPartition(projected, e.dataFile.partition) || !fileMightMatch(filter, e.dataFile)) {
          metrics.filesSkipped++;
          continue;
        }
        data.push(e);
      } else {
        // Delete files are only pruned by partition: their column metrics describe deleted rows.
        if (!evalPartition(projected, e.dataFile.partition)) continue;
        deletes.push(e);
      }
    }
  });

  const tasks: FileScanTask[] = data.map((e) => {
    const ds = deletes.filter((d) => {
      if (d.dataFile.content === FileContent.PositionDeletes)
        return d.sequenceNumber >= e.sequenceNumber && samePartition(d.dataFile, e.dataFile);
      const global = specOf(md, d.dataFile.specId).fields.length === 0;
      return d.sequenceNumber > e.sequenceNumber && (global || samePartition(d.dataFile, e.dataFile));
    });
    for (const d of ds)
      if (d.dataFile.fileFormat !== 'PARQUET')
        throw protocolError(
          'UnsupportedFileFormat',
          `delete file ${d.dataFile.filePath}: format ${d.dataFile.fileFormat} is not supported`,
        );
    if (e.dataFile.fileFormat !== 'PARQUET')
      throw protocolError(
        'UnsupportedFileFormat',
        `data file ${e.dataFile.filePath}: format ${e.dataFile.fileFormat} is not supported`,
      );
    return {
      file: e.dataFile,
      sequenceNumber: e.sequenceNumber,
      deletes: ds.map((d) => ({ file: d.dataFile, sequenceNumber: d.sequenceNumber })),
      residual: filter,
    };
  });
  return { snapshot, schema, filter, tasks, metrics };
}

/**
 * Files appended after snapshot `from` up to and including `to` on `to`'s line of ancestry
 * (append snapshots only, as Java's IncrementalAppendScan): the rows added between the two.
 */
export async function planAppendedFiles(
  md: TableMetadata,
  io: FileIO,
  from: bigint | undefined,
  to: bigint,
  opts: { filter?: Expression; concurrency?: number; signal?: AbortSignal } = {},
): Promise<ScanPlan> {
  const chain = ancestorsOf(md, to);
  const stop = from === undefined ? -1 : chain.findIndex((s) => s.snapshotId === from);
  if (from !== undefined && stop < 0)
    throw validationError('InvalidScan', `snapshot ${from} is not an ancestor of snapshot ${to}`);
  const between = (stop < 0 ? chain : chain.slice(0, stop)).filter((s) => s.summary.operation === 'append');
  const schema = schemaOf(md);
  const filter = bind(opts.filter ?? alwaysTrue(), schema);
  const metrics = { manifests: 0, manifestsSkipped: 0, files: 0, filesSkipped: 0 };
  const ids = new Set(between.map((s) => s.snapshotId));
  const tasks: FileScanTask[] = [];
  for (const snap of between) {
    const manifests = (await readManifestListOf(io, snap, opts.signal)).filter(
      (m) => m.content === 0 && m.addedSnapshotId === snap.snapshotId,
    );
    metrics.manifests += manifests.length;
    const lists = await mapConcurrent(manifests, opts.concurrency ?? 8, (m) =>
      readManifestEntries(io, md, m, opts.signal),
    );
    for (const entries of lists)
      for (const e of entries) {
        if (e.status !== EntryStatus.Added || !ids.has(e.snapshotId)) continue;
        metrics.files++;
        if (!fileMightMatch(filter, e.dataFile)) {
          metrics.filesSkipped++;
          continue;
        }
        tasks.push({ file: e.dataFile, sequenceNumber: e.sequenceNumber, deletes: [], residual: filter });
      }
  }
  return { snapshot: snapshotById(md, to), schema, filter, tasks, metrics };
}
