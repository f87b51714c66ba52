/**
 * Producing and committing snapshots (spec "Snapshots", "Optimistic Concurrency"). A change is
 * staged as new manifests plus a manifest list on top of the branch head, then committed through
 * the catalog with `assert-table-uuid` and `assert-ref-snapshot-id` requirements and `add-snapshot`
 * + `set-snapshot-ref` updates. On a commit conflict (409, `isCommitFailed()`) the table is
 * reloaded and the change re-staged on the new head (the operation re-checks what it removes),
 * with exponential backoff and full jitter, up to a number of attempts; files written by failed
 * attempts are deleted. `isCommitStateUnknown()` is never treated as a failure: no file is deleted,
 * the table is reloaded, and the write counts as done if its snapshot is there (else the error is
 * rethrown).
 */
import { randomUUID } from 'node:crypto';
import { IcebergError } from '../errors.js';
import { protocolError } from './errors.js';
import { type FileIO, settleWrites } from './io.js';
import {
  type DataFile,
  EntryStatus,
  type ManifestEntry,
  type ManifestFile,
  readManifestList,
  summarizePartitions,
  writeManifest,
  writeManifestList,
} from './manifest.js';
import {
  type Snapshot,
  schemaOf,
  snapshotById,
  snapshotToJson,
  specOf,
  type TableMetadata,
} from './metadata.js';
import { readManifestEntries, readManifestListOf } from './scan.js';

/** What the table layer needs from a catalog: reload metadata and commit a change. */
export interface CatalogOps {
  refresh(signal?: AbortSignal): Promise<TableMetadata>;
  /** Throws an error with `isCommitFailed()` on a 409 and `isCommitStateUnknown()` when unsure. */
  commit(
    change: { requirements: unknown[]; updates: unknown[] },
    signal?: AbortSignal,
  ): Promise<TableMetadata>;
}

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2000 };

export type Operation = 'append' | 'overwrite' | 'delete' | 'replace';

export interface StagedChange {
  operation: Operation;
  added: DataFile[];
  /** Paths of live data files the snapshot removes. */
  removed: Set<string>;
  /** New delete files (v2 merge-on-read position deletes). */
  addedDeletes?: DataFile[];
  branch?: string;
  /** Extra summary properties (they never replace the computed ones). */
  properties?: Record<string, string>;
}

/** A random positive snapshot id below 2^53, so it survives any JSON number parser. */
export function newSnapshotId(): bigint {
  const b = crypto.getRandomValues(new Uint32Array(2));
  return (BigInt((b[0] as number) & 0x1fffff) << 32n) | BigInt(b[1] as number) || 1n;
}

function fileName(location: string, name: string): string {
  return `${location.replace(/\/+$/, '')}/metadata/${name}`;
}

const num = (s: Record<string, string> | undefined, k: string) => Number(s?.[k] ?? 0) || 0;

/**
 * Bytes of the manifest lists this process wrote, by location and `FileIO`. Files in an Iceberg
 * table are never rewritten in place (every name carries a UUID or snapshot id), so the bytes under
 * a location are the bytes there for good; the next append on the same table stages on top of the
 * list it just wrote and reads it from here instead of from storage (a GET per append on S3).
 */
const listBytes = new WeakMap<FileIO, Map<string, Uint8Array>>();
const LIST_CACHE_MAX = 16;

function rememberList(io: FileIO, path: string, bytes: Uint8Array): void {
  let m = listBytes.get(io);
  if (!m) {
    m = new Map();
    listBytes.set(io, m);
  }
  if (m.size >= LIST_CACHE_MAX) m.delete(m.keys().next().value as string);
  m.set(path, bytes);
}

async function parentManifests(io: FileIO, parent: Snapshot): Promise<ManifestFile[]> {
  const cached = listBytes.get(io)?.get(parent.manifestList);
  return cached ? readManifestList(cached, parent.manifestList) : readManifestListOf(io, parent);
}

/**
 * Writes the manifests and manifest list of a change on top of `base`'s branch head. Every path
 * written is pushed to `written` (for cleanup). Returns the snapshot and the commit request.
 */
export async function stageSnapshot(
  base: TableMetadata,
  io: FileIO,
  change: StagedChange,
  snapshotId: bigint,
  written: string[],
): Promise<StagedSnapshot> {
  const uploads: Promise<void>[] = [];
  try {
    return await stageInto(base, io, change, snapshotId, written, uploads);
  } catch (e) {
    // Let uploads still in flight land before the caller deletes `written`.
    await Promise.allSettled(uploads);
    throw e;
  }
}

type StagedSnapshot = {
  snapshot: Snapshot;
  requirements: unknown[];
  updates: unknown[];
  removedRecords: number;
};

async function stageInto(
  base: TableMetadata,
  io: FileIO,
  change: StagedChange,
  snapshotId: bigint,
  written: string[],
  uploads: Promise<void>[],
): Promise<StagedSnapshot> {
  const branch = change.branch ?? 'main';
  const headId = base.refs[branch]?.snapshotId;
  const parent = headId === undefined ? undefined : snapshotById(base, headId);
  const version: 1 | 2 = base.formatVersion === 1 ? 1 : 2;
  const seq = version === 1 ? 0 : base.lastSequenceNumber + 1;
  const schema = schemaOf(base);
  const parentList = parent ? parentManifests(io, parent) : Promise.resolve([]);
  parentList.catch(() => {}); // awaited below, after the new manifests are under way
  const manifests: ManifestFile[] = [];
  const commitId = randomUUID();
  // Manifest and manifest-list uploads run concurrently (their sizes are known once encoded);
  // all of them have finished, successfully, before this function returns.
  const upload = (path: string, bytes: Uint8Array) => {
    written.push(path);
    const p = io.write(path, bytes, { ifAbsent: true });
    p.catch(() => {}); // surfaced by settleWrites
    uploads.push(p);
  };

  // New data files, one manifest per partition spec.
  let addedRecords = 0;
  let addedSize = 0;
  const bySpec = new Map<number, DataFile[]>();
  for (const f of change.added) {
    addedRecords += f.recordCount;
    addedSize += f.fileSizeInBytes;
    const l = bySpec.get(f.specId) ?? [];
    l.push(f);
    bySpec.set(f.specId, l);
  }
  let k = 0;
  for (const [specId, files] of bySpec) {
    const spec = specOf(base, specId);
    const entries: ManifestEntry[] = files.map((f) => ({
      status: EntryStatus.Added,
      snapshotId,
      sequenceNumber: seq,
      fileSequenceNumber: seq,
      dataFile: f,
    }));
    const bytes = writeManifest(version, entries, spec, schema);
    const path = fileName(base.location, `${commitId}-m${k++}.avro`);
    upload(path, bytes);
    manifests.push({
      manifestPath: path,
      manifestLength: bytes.byteLength,
      partitionSpecId: specId,
      content: 0,
      sequenceNumber: seq,
      minSequenceNumber: seq,
      addedSnapshotId: snapshotId,
      addedFilesCount: files.length,
      existingFilesCount: 0,
      deletedFilesCount: 0,
      addedRowsCount: files.reduce((s, f) => s + f.recordCount, 0),
      existingRowsCount: 0,
      deletedRowsCount: 0,
      partitions: summarizePartitions(entries, spec, schema),
    });
  }

  // New delete files go to delete manifests (manifest list content 1), one per partition spec.
  const addedDeletes = change.addedDeletes ?? [];
  if (addedDeletes.length > 0 && version === 1)
    throw protocolError(
      'UnsupportedFeature',
      `table ${base.location}: row-level deletes need format version 2`,
    );
  const deletesBySpec = new Map<number, DataFile[]>();
  for (const f of addedDeletes) deletesBySpec.set(f.specId, [...(deletesBySpec.get(f.specId) ?? []), f]);
  for (const [specId, files] of deletesBySpec) {
    const spec = specOf(base, specId);
    const entries: ManifestEntry[] = files.map((f) => ({
      status: EntryStatus.Added,
      snapshotId,
      sequenceNumber: seq,
      fileSequenceNumber: seq,
      dataFile: f,
    }));
    const bytes = writeManifest(version, entries, spec, schema, 'deletes');
    const path = fileName(base.location, `${commitId}-m${k++}.avro`);
    upload(path, bytes);
    manifests.push({
      manifestPath: path,
      manifestLength: bytes.byteLength,
      partitionSpecId: specId,
      content: 1,
      sequenceNumber: seq,
      minSequenceNumber: seq,
      addedSnapshotId: snapshotId,
      addedFilesCount: files.length,
      existingFilesCount: 0,
      deletedFilesCount: 0,
      addedRowsCount: files.reduce((s, f) => s + f.recordCount, 0),
      existingRowsCount: 0,
      deletedRowsCount: 0,
      partitions: summarizePartitions(entries, spec, schema),
    });
  }
  const addedPosDeletes = addedDeletes.reduce((s, f) => s + f.recordCount, 0);

  // Parent manifests: carried over, or rewritten when they hold removed files.
  let removedFiles = 0;
  let removedRecords = 0;
  let removedSize = 0;
  const stillToRemove = new Set(change.removed);
  for (const m of await parentList) {
    if (
      change.removed.size === 0 ||
      m.content !== 0 ||
      (m.addedFilesCount === 0 && m.existingFilesCount === 0)
    ) {
      manifests.push(m);
      continue;
    }
    const entries = await readManifestEntries(io, base, m);
    if (!entries.some((e) => e.status !== EntryStatus.Deleted && change.removed.has(e.dataFile.filePath))) {
      manifests.push(m);
      continue;
    }
    const kept: ManifestEntry[] = [];
    for (const e of entries) {
      if (e.status === EntryStatus.Deleted) continue;
      if (change.removed.has(e.dataFile.filePath)) {
        stillToRemove.delete(e.dataFile.filePath);
        removedFiles++;
        removedRecords += e.dataFile.recordCount;
        removedSize += e.dataFile.fileSizeInBytes;
        kept.push({ ...e, status: EntryStatus.Deleted, snapshotId });
      } else kept.push({ ...e, status: EntryStatus.Existing });
    }
    const spec = specOf(base, m.partitionSpecId);
    const bytes = writeManifest(version, kept, spec, schema);
    const path = fileName(base.location, `${commitId}-m${k++}.avro`);
    upload(path, bytes);
    const live = kept.filter((e) => e.status === EntryStatus.Existing);
    const dead = kept.filter((e) => e.status === EntryStatus.Deleted);
    manifests.push({
      manifestPath: path,
      manifestLength: bytes.byteLength,
      partitionSpecId: m.partitionSpecId,
      content: 0,
      sequenceNumber: seq,
      minSequenceNumber: Math.min(...kept.map((e) => e.sequenceNumber)),
      addedSnapshotId: snapshotId,
      addedFilesCount: 0,
      existingFilesCount: live.length,
      deletedFilesCount: dead.length,
      addedRowsCount: 0,
      existingRowsCount: live.reduce((s, e) => s + e.dataFile.recordCount, 0),
      deletedRowsCount: dead.reduce((s, e) => s + e.dataFile.recordCount, 0),
      partitions: summarizePartitions(live, spec, schema),
    });
  }
  if (stillToRemove.size > 0) {
    // The files this change removes are gone from the head: a concurrent change got there first.
    throw new IcebergError({
      message: `table ${base.location}: ${stillToRemove.size} file(s) to remove are no longer in the table (e.g. ${[...stillToRemove][0]}); the change no longer applies`,
      kind: 'validation',
      service: 'iceberg',
      code: 'ValidationFailedConcurrentChange',
    });
  }
  // Manifests left with no live entries are dropped from the list.
  const listed = manifests.filter((m) => m.addedFilesCount + m.existingFilesCount > 0 || m.content !== 0);

  const ps = parent?.summary;
  const summary: Record<string, string> & { operation: string } = {
    ...change.properties,
    operation: change.operation,
  };
  if (change.added.length > 0) {
    summary['added-data-files'] = String(change.added.length);
    summary['added-records'] = String(addedRecords);
    summary['added-files-size'] = String(addedSize);
  }
  if (removedFiles > 0) {
    summary['deleted-data-files'] = String(removedFiles);
    summary['deleted-records'] = String(removedRecords);
    summary['removed-files-size'] = String(removedSize);
  }
  summary['total-data-files'] = String(num(ps, 'total-data-files') + change.added.length - removedFiles);
  summary['total-records'] = String(num(ps, 'total-records') + addedRecords - removedRecords);
  summary['total-files-size'] = String(num(ps, 'total-files-size') + addedSize - removedSize);
  if (addedDeletes.length > 0) {
    summary['added-delete-files'] = String(addedDeletes.length);
    summary['added-position-delete-files'] = String(addedDeletes.length);
    summary['added-position-deletes'] = String(addedPosDeletes);
  }
  summary['total-delete-files'] = String(num(ps, 'total-delete-files') + addedDeletes.length);
  summary['total-position-deletes'] = String(num(ps, 'total-position-deletes') + addedPosDeletes);
  summary['total-equality-deletes'] = String(num(ps, 'total-equality-deletes'));

  const listPath = fileName(base.location, `snap-${snapshotId}-1-${commitId}.avro`);
  const listFile = writeManifestList(version, listed, {
    snapshotId,
    ...(parent ? { parentSnapshotId: parent.snapshotId } : {}),
    sequenceNumber: seq,
  });
  upload(listPath, listFile);
  await settleWrites(uploads);
  rememberList(io, listPath, listFile);

  const snapshot: Snapshot = {
    snapshotId,
    sequenceNumber: seq,
    timestampMs: Math.max(Date.now(), base.lastUpdatedMs + 1),
    manifestList: listPath,
    summary,
    schemaId: base.currentSchemaId,
  };
  if (parent) snapshot.parentSnapshotId = parent.snapshotId;
  const snapJson = snapshotToJson(snapshot);
  if (version === 1) delete snapJson['sequence-number'];
  return {
    snapshot,
    removedRecords,
    requirements: [
      { type: 'assert-table-uuid', uuid: base.tableUuid },
      { type: 'assert-ref-snapshot-id', ref: branch, 'snapshot-id': parent ? parent.snapshotId : null },
    ],
    updates: [
      { action: 'add-snapshot', snapshot: snapJson },
      { action: 'set-snapshot-ref', 'ref-name': branch, type: 'branch', 'snapshot-id': snapshotId },
    ],
  };
}

function hasPredicate(e: unknown, name: 'isCommitFailed' | 'isCommitStateUnknown'): boolean {
  const f = (e as Record<string, unknown> | null)?.[name];
  return typeof f === 'function' && (f as () => boolean).call(e) === true;
}
export const isCommitFailed = (e: unknown) => hasPredicate(e, 'isCommitFailed');
export const isCommitStateUnknown = (e: unknown) => hasPredicate(e, 'isCommitStateUnknown');

async function deleteAll(io: FileIO, paths: Iterable<string>): Promise<void> {
  await Promise.all([...paths].map((p) => io.delete(p).catch(() => undefined)));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });
}

export interface CommitResult {
  metadata: TableMetadata;
  snapshot: Snapshot;
  attempts: number;
}

/**
 * Runs `stage(base, written)` and commits what it returns, retrying on conflicts with a freshly
 * loaded base. `keep` lists files that survive across attempts (e.g. appended data files, which do
 * not depend on the base) and are deleted only when the whole write fails.
 */
export async function commitWithRetry(
  ops: CatalogOps,
  io: FileIO,
  initial: TableMetadata,
  stage: (base: TableMetadata, written: string[]) => Promise<{ change: StagedChange }>,
  opts: {
    retry?: Partial<RetryPolicy>;
    signal?: AbortSignal;
    keep?: string[];
    /**
     * Uploads of `keep` files still in flight: staging overlaps with them, and the commit waits
     * for all of them (a failed one fails the write and its files are deleted).
     */
    uploads?: Promise<unknown>[];
  } = {},
): Promise<CommitResult> {
  const policy = { ...DEFAULT_RETRY, ...opts.retry };
  const keep = opts.keep ?? [];
  const uploads = opts.uploads ?? [];
  const snapshotId = newSnapshotId();
  let base = initial;
  for (let attempt = 1; ; attempt++) {
    const written: string[] = [];
    let request: Awaited<ReturnType<typeof stageSnapshot>>;
    try {
      const { change } = await stage(base, written);
      request = await stageSnapshot(base, io, change, snapshotId, written);
      await settleWrites(uploads);
    } catch (e) {
      await Promise.allSettled(uploads);
      await deleteAll(io, [...written, ...keep]);
      throw e;
    }
    try {
      const metadata = await ops.commit(
        { requirements: request.requirements, updates: request.updates },
        opts.signal,
      );
      return { metadata, snapshot: request.snapshot, attempts: attempt };
    } catch (e) {
      if (isCommitStateUnknown(e)) {
        // The commit may have landed: never delete files. Reload and look for our snapshot; if it is
        // there the write succeeded, otherwise report the unknown state to the caller.
        const landed = await ops.refresh(opts.signal).catch(() => undefined);
        const snap = landed?.snapshots.find((s) => s.snapshotId === snapshotId);
        if (landed && snap) return { metadata: landed, snapshot: snap, attempts: attempt };
        throw e;
      }
      await deleteAll(io, written);
      if (!isCommitFailed(e)) {
        await deleteAll(io, keep);
        throw e;
      }
      if (attempt >= policy.maxAttempts) {
        await deleteAll(io, keep);
        throw new IcebergError({
          message: `commit to ${base.location} still conflicted after ${attempt} attempts`,
          kind: 'http',
          service: 'iceberg',
          status: 409,
          code: 'CommitFailedException',
          commit: true,
          attempts: attempt,
          cause: e,
        });
      }
      const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * cap, opts.signal);
      base = await ops.refresh(opts.signal);
    }
  }
}

export function assertSnapshotExists(md: TableMetadata, id: bigint): void {
  if (!md.snapshots.some((s) => s.snapshotId === id))
    throw protocolError('MalformedMetadata', `table ${md.location}: snapshot ${id} does not exist`);
}
