/**
 * A Delta table on an object store: snapshots at the latest version, a version or a timestamp;
 * commit timestamps (file modification time, or in-commit timestamps once
 * `delta.enableInCommitTimestamps` is on, PROTOCOL.md "In-Commit Timestamps"); history; and
 * following new commits (`changesSince`, `tail`) for test code that waits for writers.
 */

import type { Table } from 'apache-arrow';
import { type ObjectStore, openStore, type S3StoreOptions } from '../storage/index.js';
import type { CommitInfo, LogAction } from './actions.js';
import { type ChangeQuery, readChanges as readChangeFeed } from './cdf.js';
import { DeltaError } from './errors.js';
import {
  buildSegment,
  type CommitFile,
  findCommitInfo,
  type LogListing,
  listLog,
  readCheckpoint,
  readCommit,
  readLastCheckpoint,
} from './log.js';
import { LogState, Snapshot } from './snapshot.js';

export interface OpenDeltaTableOptions {
  /** S3 connection settings when `location` is an `s3://` URL. */
  s3?: Omit<S3StoreOptions, 'bucket' | 'prefix'>;
  signal?: AbortSignal;
}

export interface SnapshotQuery {
  version?: number;
  /** Latest version committed at or before this instant. */
  timestamp?: Date | number | string;
  signal?: AbortSignal;
}

export interface CommitRecord {
  version: number;
  /** Commit timestamp in ms since the epoch. */
  timestamp: number;
  commitInfo: CommitInfo | undefined;
}

export interface CommitEntry extends CommitRecord {
  actions: LogAction[];
}

export async function openDeltaTable(
  location: string | ObjectStore,
  opts: OpenDeltaTableOptions = {},
): Promise<DeltaTable> {
  const store = typeof location === 'string' ? openStore(location, opts.s3) : location;
  const table = new DeltaTable(store);
  // Only the existence of a log is checked here; gaps and corruption surface per version.
  const listing = await listLog(store, opts.signal ? { signal: opts.signal } : {});
  if (listing.maxCommit < 0 && listing.checkpoints.length === 0)
    throw new DeltaError({
      code: 'TableNotFound',
      message: `no Delta log at ${store.url}/_delta_log/`,
      table: store.url,
    });
  return table;
}

export function toMillis(t: Date | number | string, what: string): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms))
    throw new DeltaError({ code: 'InvalidArgument', message: `${what} ${String(t)} is not a time` });
  return ms;
}

export class DeltaTable {
  readonly store: ObjectStore;

  constructor(store: ObjectStore) {
    this.store = store;
  }

  get url(): string {
    return this.store.url;
  }

  /** Snapshot at the latest version, at `version`, or as of `timestamp`. */
  async snapshot(q: SnapshotQuery = {}): Promise<Snapshot> {
    if (q.version !== undefined && q.timestamp !== undefined)
      throw new DeltaError({ code: 'InvalidArgument', message: 'give a version or a timestamp, not both' });
    if (q.version !== undefined && (!Number.isInteger(q.version) || q.version < 0))
      throw new DeltaError({
        code: 'InvalidArgument',
        message: `version ${q.version} is not a non-negative integer`,
      });
    const version = q.timestamp !== undefined ? await this.versionAt(q.timestamp, q.signal) : q.version;
    return this.#load(version, q.signal);
  }

  /** Newest version number in the log. */
  async latestVersion(signal?: AbortSignal): Promise<number> {
    const hint = await readLastCheckpoint(this.store, signal);
    const listing = await listLog(this.store, {
      ...(hint ? { fromVersion: hint.version } : {}),
      ...(signal ? { signal } : {}),
    });
    if (listing.maxCommit >= 0) return listing.maxCommit;
    return buildSegment(await listLog(this.store, signal ? { signal } : {}), this.url).version;
  }

  async #listingFor(version: number | undefined, signal?: AbortSignal): Promise<LogListing> {
    const hint = await readLastCheckpoint(this.store, signal);
    if (hint && (version === undefined || version >= hint.version)) {
      const listing = await listLog(this.store, { fromVersion: hint.version, ...(signal ? { signal } : {}) });
      // A stale or broken hint (checkpoint file absent) falls back to a full listing.
      const target = version ?? listing.maxCommit;
      if (listing.checkpoints.some((c) => c.version <= target)) return listing;
    }
    return listLog(this.store, signal ? { signal } : {});
  }

  async #load(version: number | undefined, signal?: AbortSignal): Promise<Snapshot> {
    const listing = await this.#listingFor(version, signal);
    const segment = buildSegment(listing, this.url, version);
    const state = new LogState();
    // Commits after the checkpoint are fetched while the checkpoint is read; they apply after it.
    const steps = mapLimited(segment.steps, 16, (s) =>
      s.kind === 'commit'
        ? readCommit(this.store, s.commit, this.url, signal)
        : readCommit(this.store, { version: s.compaction.to, file: s.compaction.file }, this.url, signal),
    );
    steps.catch(() => undefined); // Awaited below, after the checkpoint (whose error wins).
    if (segment.checkpoint)
      state.applyCheckpoint(await readCheckpoint(this.store, segment.checkpoint, this.url, signal));
    const stepActions = await steps;
    for (const actions of stepActions) state.applyCommit(actions);
    const last = segment.steps.at(-1);
    const lastActions = last?.kind === 'commit' ? stepActions.at(-1) : undefined;
    const commit = listing.commits.get(segment.version);
    const timestamp = await this.#commitTimestamp(segment.version, commit, lastActions, state, signal);
    return new Snapshot(
      { store: this.store, table: this.url },
      { version: segment.version, timestamp, state },
    );
  }

  async #commitTimestamp(
    version: number,
    commit: CommitFile | undefined,
    actions: LogAction[] | undefined,
    state: LogState,
    signal?: AbortSignal,
  ): Promise<number> {
    if (ictEnabledAt(state.metadata?.configuration, version)) {
      const acts = actions ?? (commit ? await readCommit(this.store, commit, this.url, signal) : []);
      const ict = findCommitInfo(acts)?.inCommitTimestamp;
      if (typeof ict === 'number') return ict;
      throw new DeltaError({
        code: 'CorruptCommit',
        message: `version ${version} of ${this.url} has in-commit timestamps enabled but no commitInfo.inCommitTimestamp`,
        table: this.url,
        version,
      });
    }
    return commit?.file.lastModified?.getTime() ?? Number.NaN;
  }

  /**
   * Commit timestamps of every listed commit, in version order. Without in-commit timestamps they
   * are file modification times made strictly increasing (a clock step back must not reorder
   * versions, as Delta Spark also does).
   */
  async commitTimestamps(signal?: AbortSignal): Promise<Array<{ version: number; timestamp: number }>> {
    const listing = await listLog(this.store, signal ? { signal } : {});
    const latest = await this.#load(undefined, signal);
    const commits = [...listing.commits.values()].sort((a, b) => a.version - b.version);
    const cfg = latest.configuration;
    const out: Array<{ version: number; timestamp: number }> = [];
    const icts = await mapLimited(commits, 16, async (c) =>
      ictEnabledAt(cfg, c.version)
        ? findCommitInfo(await readCommit(this.store, c, this.url, signal))?.inCommitTimestamp
        : undefined,
    );
    let prev = Number.NEGATIVE_INFINITY;
    commits.forEach((c, i) => {
      let ts = icts[i] ?? c.file.lastModified?.getTime() ?? Number.NaN;
      if (icts[i] === undefined && ts <= prev) ts = prev + 1;
      prev = ts;
      out.push({ version: c.version, timestamp: ts });
    });
    return out;
  }

  /** The latest version committed at or before `t`. */
  async versionAt(t: Date | number | string, signal?: AbortSignal): Promise<number> {
    const ms = toMillis(t, 'timestamp');
    const stamps = await this.commitTimestamps(signal);
    let found: number | undefined;
    for (const s of stamps) if (s.timestamp <= ms) found = s.version;
    if (found === undefined)
      throw new DeltaError({
        code: 'VersionNotAvailable',
        message: `${this.url} has no version committed at or before ${new Date(ms).toISOString()} (earliest commit ${stamps[0] ? new Date(stamps[0].timestamp).toISOString() : 'none'})`,
        table: this.url,
      });
    return found;
  }

  /** The first version committed at or after `t`. */
  async versionAtOrAfter(t: Date | number | string, signal?: AbortSignal): Promise<number> {
    const ms = toMillis(t, 'timestamp');
    const stamps = await this.commitTimestamps(signal);
    const hit = stamps.find((s) => s.timestamp >= ms);
    if (!hit)
      throw new DeltaError({
        code: 'VersionNotAvailable',
        message: `${this.url} has no version committed at or after ${new Date(ms).toISOString()}`,
        table: this.url,
      });
    return hit.version;
  }

  /** `commitInfo` of each version, newest first. */
  async history(opts: { limit?: number; signal?: AbortSignal } = {}): Promise<CommitRecord[]> {
    const stamps = await this.commitTimestamps(opts.signal);
    const listing = await listLog(this.store, opts.signal ? { signal: opts.signal } : {});
    const chosen = stamps
      .slice()
      .reverse()
      .slice(0, opts.limit ?? stamps.length);
    return mapLimited(chosen, 16, async (s) => {
      const commit = listing.commits.get(s.version)!;
      const info = findCommitInfo(await readCommit(this.store, commit, this.url, opts.signal));
      return { version: s.version, timestamp: s.timestamp, commitInfo: info };
    });
  }

  /** Every commit after `version` that is in the log now, oldest first. */
  async changesSince(version: number, signal?: AbortSignal): Promise<CommitEntry[]> {
    const listing = await listLog(this.store, { fromVersion: version + 1, ...(signal ? { signal } : {}) });
    const commits = [...listing.commits.values()]
      .filter((c) => c.version > version)
      .sort((a, b) => a.version - b.version);
    for (let i = 0; i < commits.length; i++) {
      if (commits[i]!.version !== version + 1 + i)
        throw new DeltaError({
          code: 'MissingVersion',
          message: `commit ${version + 1 + i} of ${this.url} is missing while ${commits[i]!.version} exists`,
          table: this.url,
          version: version + 1 + i,
        });
    }
    return mapLimited(commits, 16, async (c) => {
      const actions = await readCommit(this.store, c, this.url, signal);
      const info = findCommitInfo(actions);
      const ts =
        typeof info?.inCommitTimestamp === 'number'
          ? info.inCommitTimestamp
          : (c.file.lastModified?.getTime() ?? Number.NaN);
      return { version: c.version, timestamp: ts, commitInfo: info, actions };
    });
  }

  /**
   * Yields each new commit after `afterVersion` as it appears, polling the log; ends when `signal`
   * aborts. Intended for tests that wait for a writer (e.g. a CDC sink) to commit.
   */
  async *tail(
    afterVersion: number,
    opts: { pollIntervalMs?: number; signal?: AbortSignal } = {},
  ): AsyncIterable<CommitEntry> {
    let last = afterVersion;
    const interval = opts.pollIntervalMs ?? 500;
    while (!opts.signal?.aborted) {
      const entries = await this.changesSince(last, opts.signal);
      for (const e of entries) {
        yield e;
        last = e.version;
      }
      if (entries.length === 0) await sleep(interval, opts.signal);
    }
  }

  /** Waits until `version` exists (or the timeout elapses, with a `wait-timeout` error). */
  async waitForVersion(
    version: number,
    opts: { timeoutMs?: number; pollIntervalMs?: number; signal?: AbortSignal } = {},
  ): Promise<Snapshot> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      const latest = await this.latestVersion(opts.signal);
      if (latest >= version)
        return this.snapshot({ version, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (Date.now() >= deadline)
        throw new DeltaError({
          code: 'VersionNotAvailable',
          message: `version ${version} of ${this.url} did not appear within ${opts.timeoutMs ?? 30_000} ms (latest ${latest})`,
          table: this.url,
          version,
        });
      await sleep(opts.pollIntervalMs ?? 250, opts.signal);
    }
  }

  /** Change Data Feed rows between two versions or instants (inclusive). */
  readChanges(q: ChangeQuery): Promise<Table> {
    return readChangeFeed(this, q);
  }
}

export function ictEnabledAt(configuration: Record<string, string> | undefined, version: number): boolean {
  if (configuration?.['delta.enableInCommitTimestamps'] !== 'true') return false;
  const from = Number(configuration['delta.inCommitTimestampEnablementVersion'] ?? 0);
  return version >= from;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/** `Promise.all` over `items` with at most `limit` in flight, results in input order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
