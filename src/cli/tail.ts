/**
 * `lakekit tail <delta location | iceberg://namespace.table>`: prints each new Delta commit or
 * Iceberg snapshot as it lands (version/snapshot id, time, operation, a summary of what changed),
 * by polling the Delta log through lakekit/delta and the catalog through lakekit/iceberg. Stops
 * after `count` entries, after `timeoutMs` without news, or when the signal aborts.
 */
import { openDeltaTable } from '../delta/table.js';
import { sleep } from '../http/retry.js';
import { type Endpoints, icebergTableRef, s3Settings } from './config.js';

export interface TailEntry {
  table: string;
  /** Delta version or Iceberg snapshot id (as text: Iceberg ids exceed 2^53). */
  id: string;
  timestamp: string;
  operation: string;
  summary: string;
}

export interface TailOptions {
  endpoints: Endpoints;
  /** Also print the entries already there, starting after this Delta version (default: only new ones). */
  fromVersion?: number;
  count?: number;
  /** Give up after this long without a new entry. */
  idleTimeoutMs?: number;
  pollIntervalMs?: number;
  signal?: AbortSignal;
  onEntry: (e: TailEntry) => void;
}

export async function tail(location: string, o: TailOptions): Promise<number> {
  if (location.startsWith('iceberg://')) return tailIceberg(location.slice('iceberg://'.length), o);
  return tailDelta(location.replace(/^delta:\/\//, ''), o);
}

async function tailDelta(location: string, o: TailOptions): Promise<number> {
  const s3 = s3Settings(o.endpoints);
  const table = await openDeltaTable(location, {
    ...(s3 ? { s3 } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
  let last = o.fromVersion ?? (await table.latestVersion(o.signal));
  let printed = 0;
  let lastNews = Date.now();
  while (!o.signal?.aborted) {
    const entries = await table.changesSince(last, o.signal);
    for (const c of entries) {
      const adds = c.actions.filter((a) => 'add' in a).length;
      const removes = c.actions.filter((a) => 'remove' in a).length;
      const info = c.commitInfo as { operation?: string } | undefined;
      o.onEntry({
        table: `delta://${location}`,
        id: String(c.version),
        timestamp: Number.isNaN(c.timestamp) ? '' : new Date(c.timestamp).toISOString(),
        operation: info?.operation ?? '',
        summary: `+${adds} files, -${removes} files`,
      });
      last = c.version;
      lastNews = Date.now();
      printed++;
      if (o.count !== undefined && printed >= o.count) return printed;
    }
    if (o.idleTimeoutMs !== undefined && Date.now() - lastNews > o.idleTimeoutMs) return printed;
    if (entries.length === 0) await sleep(o.pollIntervalMs ?? 1000, o.signal).catch(() => undefined);
  }
  return printed;
}

async function tailIceberg(identifier: string, o: TailOptions): Promise<number> {
  const { catalog, ident } = icebergTableRef(identifier, o.endpoints);
  const seen = new Set<string>();
  let first = true;
  let printed = 0;
  let lastNews = Date.now();
  while (!o.signal?.aborted) {
    const loaded = await catalog.loadTable(ident, o.signal ? { signal: o.signal } : {});
    const snapshots = [...(loaded.metadata.snapshots ?? [])].sort(
      (a, b) => a['timestamp-ms'] - b['timestamp-ms'],
    );
    for (const s of snapshots) {
      const id = String(s['snapshot-id']);
      if (seen.has(id)) continue;
      seen.add(id);
      // On the first poll only the history is learned, unless the caller asked to replay it.
      if (first && o.fromVersion === undefined) continue;
      const summary = s.summary as Record<string, string>;
      o.onEntry({
        table: `iceberg://${identifier}`,
        id,
        timestamp: new Date(s['timestamp-ms']).toISOString(),
        operation: summary.operation ?? '',
        summary: `+${summary['added-records'] ?? 0} rows, -${summary['deleted-records'] ?? 0} rows, total ${summary['total-records'] ?? '?'}`,
      });
      lastNews = Date.now();
      printed++;
      if (o.count !== undefined && printed >= o.count) return printed;
    }
    first = false;
    if (o.idleTimeoutMs !== undefined && Date.now() - lastNews > o.idleTimeoutMs) return printed;
    await sleep(o.pollIntervalMs ?? 1000, o.signal).catch(() => undefined);
  }
  return printed;
}
