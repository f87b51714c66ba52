/**
 * The `_delta_log/` directory: listing it, choosing the files that reconstruct a version (a log
 * segment: newest usable checkpoint + log compactions + JSON commits after it, PROTOCOL.md
 * "Delta Log Entries" / "Checkpoints" / "Log Compaction Files") and decoding them into actions.
 * Checkpoints are Parquet (classic, multi-part, V2 with sidecars in `_delta_log/_sidecars/`) or
 * JSON (V2 top-level); Parquet ones are read column-wise (checkpoint-arrow.ts).
 */

import { type ObjectInfo, type ObjectStore, StorageError } from '../storage/index.js';
import type { AddAction, CommitInfo, LogAction } from './actions.js';
import {
  type AddSource,
  ArrayAddSource,
  type CheckpointFileContents,
  readCheckpointParquet,
} from './checkpoint-arrow.js';
import { DeltaError } from './errors.js';
import { mapLimited } from './table.js';

export const LOG_DIR = '_delta_log/';

export function padVersion(v: number): string {
  return String(v).padStart(20, '0');
}

export function commitKey(v: number): string {
  return `${LOG_DIR}${padVersion(v)}.json`;
}

export type CheckpointKind = 'classic' | 'multipart' | 'v2';

export interface CheckpointFiles {
  version: number;
  kind: CheckpointKind;
  /** Parts in order (one file unless multi-part). */
  files: ObjectInfo[];
}

export interface CommitFile {
  version: number;
  file: ObjectInfo;
}

export interface CompactionFile {
  from: number;
  to: number;
  file: ObjectInfo;
}

/** What a listing of `_delta_log/` holds, classified. */
export interface LogListing {
  commits: Map<number, CommitFile>;
  checkpoints: CheckpointFiles[];
  compactions: CompactionFile[];
  /** Highest commit version listed (or -1). */
  maxCommit: number;
}

const COMMIT = /^(\d{20})\.json$/;
const CLASSIC = /^(\d{20})\.checkpoint\.parquet$/;
const MULTIPART = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const V2 = /^(\d{20})\.checkpoint\.([0-9a-fA-F-]{36})\.(json|parquet)$/;
const COMPACTION = /^(\d{20})\.(\d{20})\.compacted\.json$/;

export async function listLog(
  store: ObjectStore,
  opts: { fromVersion?: number; signal?: AbortSignal } = {},
): Promise<LogListing> {
  const commits = new Map<number, CommitFile>();
  const classic: CheckpointFiles[] = [];
  const parts = new Map<string, ObjectInfo[]>();
  const v2: CheckpointFiles[] = [];
  const compactions: CompactionFile[] = [];
  let maxCommit = -1;
  const startAfter =
    opts.fromVersion !== undefined && opts.fromVersion > 0
      ? `${LOG_DIR}${padVersion(opts.fromVersion - 1)}.~`
      : undefined;
  for await (const info of store.list(LOG_DIR, {
    ...(startAfter ? { startAfter } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  })) {
    const name = info.key.slice(LOG_DIR.length);
    const commit = COMMIT.exec(name);
    const single = commit ? null : CLASSIC.exec(name);
    const part = commit || single ? null : MULTIPART.exec(name);
    const v2m = commit || single || part ? null : V2.exec(name);
    const compaction = commit || single || part || v2m ? null : COMPACTION.exec(name);
    if (commit) {
      const v = Number(commit[1]);
      commits.set(v, { version: v, file: info });
      if (v > maxCommit) maxCommit = v;
    } else if (single) {
      classic.push({ version: Number(single[1]), kind: 'classic', files: [info] });
    } else if (part) {
      const id = `${part[1]}/${Number(part[3])}`;
      const list = parts.get(id) ?? [];
      list[Number(part[2]) - 1] = info;
      parts.set(id, list);
    } else if (v2m) {
      v2.push({ version: Number(v2m[1]), kind: 'v2', files: [info] });
    } else if (compaction) {
      compactions.push({ from: Number(compaction[1]), to: Number(compaction[2]), file: info });
    }
  }
  const checkpoints: CheckpointFiles[] = [...classic, ...v2];
  for (const [id, list] of parts) {
    const [v, n] = id.split('/').map(Number) as [number, number];
    // A multi-part checkpoint is usable only when every part is present.
    let complete = list.length === n;
    for (let i = 0; i < n && complete; i++) if (!list[i]) complete = false;
    if (complete) checkpoints.push({ version: v, kind: 'multipart', files: list });
  }
  checkpoints.sort((a, b) => a.version - b.version);
  return { commits, checkpoints, compactions, maxCommit };
}

export interface LastCheckpointHint {
  version: number;
  size?: number;
  parts?: number;
}

/** `_last_checkpoint` is only a hint: a missing or unreadable one means "list from the start". */
export async function readLastCheckpoint(
  store: ObjectStore,
  signal?: AbortSignal,
): Promise<LastCheckpointHint | undefined> {
  try {
    const bytes = await store.get(`${LOG_DIR}_last_checkpoint`, signal ? { signal } : {});
    const hint = JSON.parse(new TextDecoder().decode(bytes)) as LastCheckpointHint;
    return Number.isInteger(hint.version) && hint.version >= 0 ? hint : undefined;
  } catch (e) {
    if (signal?.aborted) throw e;
    return undefined;
  }
}

export interface LogSegment {
  version: number;
  checkpoint?: CheckpointFiles;
  /** Compaction files and commits after the checkpoint, in version order. */
  steps: Array<{ kind: 'commit'; commit: CommitFile } | { kind: 'compaction'; compaction: CompactionFile }>;
  /** Every commit from the checkpoint (exclusive) to `version`, for timestamps and history. */
  commits: CommitFile[];
}

/**
 * Picks the files that reconstruct `version` (default: the newest commit listed). Commits after the
 * chosen checkpoint must be contiguous: a gap is a `MissingVersion` error naming the first missing
 * version, never a silently shorter history.
 */
export function buildSegment(listing: LogListing, table: string, version?: number): LogSegment {
  const target = version ?? listing.maxCommit;
  if (listing.maxCommit < 0 && listing.checkpoints.length === 0) {
    throw new DeltaError({ code: 'TableNotFound', message: `no Delta log at ${table}/${LOG_DIR}`, table });
  }
  if (
    version !== undefined &&
    version > Math.max(listing.maxCommit, listing.checkpoints.at(-1)?.version ?? -1)
  ) {
    throw new DeltaError({
      code: 'VersionNotAvailable',
      message: `version ${version} of ${table} does not exist yet (latest is ${listing.maxCommit})`,
      table,
      version,
    });
  }
  let checkpoint: CheckpointFiles | undefined;
  for (const cp of listing.checkpoints) if (cp.version <= target) checkpoint = cp;
  const start = checkpoint ? checkpoint.version + 1 : 0;
  const commits: CommitFile[] = [];
  for (let v = start; v <= target; v++) {
    const c = listing.commits.get(v);
    if (!c) {
      const what = checkpoint
        ? `after checkpoint ${checkpoint.version}`
        : 'and there is no checkpoint before it';
      throw new DeltaError({
        code: v === 0 && !checkpoint && listing.maxCommit < 0 ? 'TableNotFound' : 'MissingVersion',
        message: `commit ${v} of ${table} is missing from ${LOG_DIR} (${what}); cannot reconstruct version ${target}`,
        table,
        version: v,
        file: commitKey(v),
      });
    }
    commits.push(c);
  }
  // Log compaction files replace runs of commits, longest run first.
  const steps: LogSegment['steps'] = [];
  let next = start;
  while (next <= target) {
    let best: CompactionFile | undefined;
    for (const c of listing.compactions)
      if (c.from === next && c.to <= target && (!best || c.to > best.to)) best = c;
    if (best && best.to > best.from) {
      steps.push({ kind: 'compaction', compaction: best });
      next = best.to + 1;
    } else {
      steps.push({ kind: 'commit', commit: listing.commits.get(next)! });
      next++;
    }
  }
  return { version: target, ...(checkpoint ? { checkpoint } : {}), steps, commits };
}

/** Parses newline-delimited JSON actions; a bad line names the file, version and line number. */
export function parseJsonActions(
  bytes: Uint8Array,
  file: string,
  version: number,
  table: string,
): LogAction[] {
  const text = new TextDecoder().decode(bytes);
  const out: LogAction[] = [];
  let lineNo = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(pos, end).trim();
    pos = end + 1;
    if (line === '') continue;
    let action: unknown;
    try {
      action = JSON.parse(line);
    } catch (e) {
      throw new DeltaError({
        code: 'CorruptCommit',
        message: `${file} (version ${version}) of ${table}: line ${lineNo} is not valid JSON (truncated write?)`,
        table,
        version,
        file,
        cause: e,
      });
    }
    if (typeof action !== 'object' || action === null || Array.isArray(action))
      throw new DeltaError({
        code: 'CorruptCommit',
        message: `${file} (version ${version}) of ${table}: line ${lineNo} is not an action object`,
        table,
        version,
        file,
      });
    out.push(action as LogAction);
  }
  return out;
}

export async function readCommit(
  store: ObjectStore,
  commit: CommitFile,
  table: string,
  signal?: AbortSignal,
): Promise<LogAction[]> {
  const bytes = await getLogFile(store, commit.file.key, table, commit.version, 'CorruptCommit', signal);
  return parseJsonActions(bytes, commit.file.key, commit.version, table);
}

async function getLogFile(
  store: ObjectStore,
  key: string,
  table: string,
  version: number,
  code: 'CorruptCommit' | 'CorruptCheckpoint',
  signal?: AbortSignal,
): Promise<Uint8Array> {
  try {
    return await store.get(key, signal ? { signal } : {});
  } catch (e) {
    if ((e as { isNotFound?: () => boolean }).isNotFound?.())
      throw new DeltaError({
        code: code === 'CorruptCommit' ? 'MissingVersion' : 'CorruptCheckpoint',
        message: `${key} (version ${version}) of ${table} vanished while reading`,
        table,
        version,
        file: key,
        cause: e,
      });
    throw e;
  }
}

/** Top-level checkpoint columns a snapshot needs (removes there are tombstones only, for VACUUM). */
const CHECKPOINT_COLUMNS = [
  'add',
  'metaData',
  'protocol',
  'txn',
  'domainMetadata',
  'sidecar',
  'checkpointMetadata',
];

/**
 * Decodes one Parquet checkpoint (or sidecar) file of `size` bytes: only the wanted action columns
 * are fetched and decoded, `add` rows stay columnar (see checkpoint-arrow.ts).
 */
export async function readParquetActions(
  store: ObjectStore,
  key: string,
  size: number,
  version: number,
  table: string,
  columns: readonly string[] = CHECKPOINT_COLUMNS,
  signal?: AbortSignal,
): Promise<CheckpointFileContents> {
  try {
    return await readCheckpointParquet(store, key, size, columns, signal);
  } catch (e) {
    if (e instanceof DeltaError || signal?.aborted) throw e;
    const notFound = (e as { isNotFound?: () => boolean }).isNotFound?.() === true;
    // A storage failure (503, 403, reset) is the store's error, not a corrupt file: pass it on.
    if (e instanceof StorageError && !notFound) throw e;
    if (notFound)
      throw new DeltaError({
        code: 'CorruptCheckpoint',
        message: `${key} (version ${version}) of ${table} vanished while reading`,
        table,
        version,
        file: key,
        cause: e,
      });
    throw new DeltaError({
      code: 'CorruptCheckpoint',
      message: `checkpoint file ${key} (version ${version}) of ${table} is not readable Parquet: ${(e as Error)?.message ?? e}`,
      table,
      version,
      file: key,
      cause: e,
    });
  }
}

/** A checkpoint's content: its add actions by source file, and every other action. */
export interface CheckpointContents {
  adds: AddSource[];
  actions: LogAction[];
}

/**
 * All actions of a checkpoint: every part of a multi-part one, the top-level file of a V2 one
 * (JSON or Parquet) and the sidecars it references. The `_last_checkpoint` size, when known, is
 * not trusted for correctness; the files themselves are.
 */
export async function readCheckpoint(
  store: ObjectStore,
  cp: CheckpointFiles,
  table: string,
  signal?: AbortSignal,
): Promise<CheckpointContents> {
  const adds: AddSource[] = [];
  const actions: LogAction[] = [];
  const jsonAdds: AddAction[] = [];
  // Bounded: each part fires several ranged reads of its own.
  const parts = await mapLimited(cp.files, 8, async (f) => {
    if (!f.key.endsWith('.json'))
      return readParquetActions(store, f.key, f.size, cp.version, table, CHECKPOINT_COLUMNS, signal);
    const bytes = await getLogFile(store, f.key, table, cp.version, 'CorruptCheckpoint', signal);
    try {
      return parseJsonActions(bytes, f.key, cp.version, table);
    } catch (e) {
      throw new DeltaError({
        code: 'CorruptCheckpoint',
        message: `V2 checkpoint ${f.key} (version ${cp.version}) of ${table} is not valid JSON`,
        table,
        version: cp.version,
        file: f.key,
        cause: e,
      });
    }
  });
  for (const part of parts) {
    if (Array.isArray(part)) {
      for (const a of part) {
        if (a.add) jsonAdds.push(a.add);
        else if (!a.remove) actions.push(a);
      }
    } else {
      if (part.adds) adds.push(part.adds);
      // A loop, not push(...list): a spread of a huge list overflows the call stack.
      for (const a of part.actions) actions.push(a);
    }
  }
  if (jsonAdds.length > 0) adds.push(new ArrayAddSource(jsonAdds));
  const sidecars = actions.filter((a) => a.sidecar).map((a) => a.sidecar!);
  const sidecarAdds = await Promise.all(
    sidecars.map(async (s) => {
      const key =
        s.path.includes('/') && !s.path.startsWith('_sidecars/')
          ? s.path
          : `${LOG_DIR}_sidecars/${s.path.replace(/^_sidecars\//, '')}`;
      // The sidecar action's sizeInBytes is the writer's word; the store's is the file's.
      const info = await store.head(key, signal ? { signal } : {}).catch((e) => {
        throw new DeltaError({
          code: 'CorruptCheckpoint',
          message: `sidecar ${key} of checkpoint ${cp.version} of ${table} is unreadable`,
          table,
          version: cp.version,
          file: key,
          cause: e,
        });
      });
      if (!info)
        throw new DeltaError({
          code: 'CorruptCheckpoint',
          message: `sidecar ${key} of checkpoint ${cp.version} of ${table} is missing`,
          table,
          version: cp.version,
          file: key,
        });
      return readParquetActions(store, key, info.size, cp.version, table, ['add'], signal);
    }),
  );
  for (const part of sidecarAdds) if (part.adds) adds.push(part.adds);
  if (!actions.some((a) => a.protocol) || !actions.some((a) => a.metaData)) {
    const file = cp.files[0]!.key;
    throw new DeltaError({
      code: 'CorruptCheckpoint',
      message: `checkpoint ${file} (version ${cp.version}) of ${table} lacks protocol or metaData`,
      table,
      version: cp.version,
      file,
    });
  }
  return { adds, actions };
}

/** The commitInfo action of a commit, or undefined if the writer did not record one. */
export function findCommitInfo(actions: LogAction[]): CommitInfo | undefined {
  for (const a of actions) if (a.commitInfo) return a.commitInfo;
  return undefined;
}
