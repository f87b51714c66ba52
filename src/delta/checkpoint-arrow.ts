/**
 * Turns a Parquet checkpoint decoded to Arrow (by parquet-wasm) into log actions without building
 * a JS object per field per row up front: for the `add` column — up to millions of rows — only the
 * path and deletion-vector id are read eagerly (reconciliation needs them as keys); everything
 * else, statistics included, is read from the Arrow columns when first asked for. Decoding whole
 * checkpoints into plain objects (what hyparquet's row API does) ran out of a 4 GB heap at 1M adds.
 */
import type { Table, Vector } from 'apache-arrow';
import type { AddAction, DeletionVectorDescriptor, LogAction } from './actions.js';

type AnyVector = Vector;

function child(v: AnyVector | null | undefined, name: string): AnyVector | null {
  return (v as unknown as { getChild(n: string): AnyVector | null } | null)?.getChild(name) ?? null;
}

function plain(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'object') return v;
  if (v instanceof Uint8Array) return v;
  const json =
    typeof (v as { toJSON?: unknown }).toJSON === 'function' ? (v as { toJSON(): unknown }).toJSON() : v;
  if (Array.isArray(json)) return json.map(plain);
  if (json && typeof json === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(json)) {
      const p = plain(x);
      if (p !== undefined) out[k] = p;
    }
    return out;
  }
  return json;
}

/** Converts row `i` of a struct column into a plain action object (small columns only). */
function structRow(v: AnyVector, i: number): Record<string, unknown> {
  return plain(v.get(i)) as Record<string, unknown>;
}

interface AddColumns {
  path: AnyVector;
  partitionValues: AnyVector | null;
  size: AnyVector | null;
  modificationTime: AnyVector | null;
  dataChange: AnyVector | null;
  stats: AnyVector | null;
  statsParsed: AnyVector | null;
  tags: AnyVector | null;
  deletionVector: AnyVector | null;
  baseRowId: AnyVector | null;
  defaultRowCommitVersion: AnyVector | null;
}

/** An `add` row of a checkpoint whose fields are read from Arrow on demand. */
class CheckpointAdd implements AddAction {
  readonly path: string;
  readonly #c: AddColumns;
  readonly #i: number;
  #dv: DeletionVectorDescriptor | null | undefined;

  constructor(c: AddColumns, i: number, path: string, dv: DeletionVectorDescriptor | null) {
    this.#c = c;
    this.#i = i;
    this.path = path;
    this.#dv = dv;
  }
  get partitionValues(): Record<string, string | null> {
    return (plain(this.#c.partitionValues?.get(this.#i)) as Record<string, string | null>) ?? {};
  }
  get size(): number {
    return Number(this.#c.size?.get(this.#i) ?? 0);
  }
  get modificationTime(): number {
    return Number(this.#c.modificationTime?.get(this.#i) ?? 0);
  }
  get dataChange(): boolean {
    return Boolean(this.#c.dataChange?.get(this.#i));
  }
  get stats(): string | null {
    return (this.#c.stats?.get(this.#i) as string | null | undefined) ?? null;
  }
  get statsParsed(): Record<string, unknown> | null {
    const v = this.#c.statsParsed?.get(this.#i);
    return v ? (plain(v) as Record<string, unknown>) : null;
  }
  get tags(): Record<string, string | null> | null {
    const v = this.#c.tags?.get(this.#i);
    return v ? (plain(v) as Record<string, string | null>) : null;
  }
  get deletionVector(): DeletionVectorDescriptor | null {
    return this.#dv ?? null;
  }
  get baseRowId(): number | null {
    const v = this.#c.baseRowId?.get(this.#i);
    return v === null || v === undefined ? null : Number(v);
  }
  get defaultRowCommitVersion(): number | null {
    const v = this.#c.defaultRowCommitVersion?.get(this.#i);
    return v === null || v === undefined ? null : Number(v);
  }
  toJSON(): AddAction {
    return {
      path: this.path,
      partitionValues: this.partitionValues,
      size: this.size,
      modificationTime: this.modificationTime,
      dataChange: this.dataChange,
      stats: this.stats,
      tags: this.tags,
      deletionVector: this.deletionVector,
    };
  }
}

/**
 * All strings of a Utf8 column at once. For ASCII data (paths nearly always are) one latin1 decode
 * of the value buffer plus `slice` per row is several times faster than arrow-js' per-row UTF-8
 * decoding, which matters at a million rows; other data falls back to per-row `get`.
 */
function utf8Strings(v: AnyVector): (string | null)[] {
  const out: (string | null)[] = new Array(v.length);
  let row = 0;
  for (const d of v.data) {
    const values = d.values as Uint8Array;
    const offsets = d.valueOffsets as Int32Array;
    let ascii = offsets !== undefined && values !== undefined;
    if (ascii) {
      const end = offsets[d.length]!;
      for (let b = offsets[0]!; b < end; b++)
        if (values[b]! >= 0x80) {
          ascii = false;
          break;
        }
    }
    if (ascii) {
      const text = Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('latin1');
      for (let i = 0; i < d.length; i++)
        out[row + i] = d.getValid(i) ? text.slice(offsets[i]!, offsets[i + 1]!) : null;
    } else {
      for (let i = 0; i < d.length; i++) out[row + i] = v.get(row + i) as string | null;
    }
    row += d.length;
  }
  return out;
}

/** Actions of a checkpoint decoded to an Arrow table; `add` rows are lazy. */
export function actionsFromArrow(table: Table): LogAction[] {
  const out: LogAction[] = [];
  const add = table.getChild('add');
  if (add) {
    const path = child(add, 'path')!;
    const dvCol = child(add, 'deletionVector');
    const cols: AddColumns = {
      path,
      partitionValues: child(add, 'partitionValues'),
      size: child(add, 'size'),
      modificationTime: child(add, 'modificationTime'),
      dataChange: child(add, 'dataChange'),
      stats: child(add, 'stats'),
      statsParsed: child(add, 'stats_parsed'),
      tags: child(add, 'tags'),
      deletionVector: dvCol,
      baseRowId: child(add, 'baseRowId'),
      defaultRowCommitVersion: child(add, 'defaultRowCommitVersion'),
    };
    const n = add.length;
    const paths = utf8Strings(path);
    const dvAny = dvCol !== null && dvCol.nullCount < dvCol.length;
    for (let i = 0; i < n; i++) {
      const p = paths[i];
      // A row holds an add exactly when add.path (required) is set.
      if (p === null || p === undefined || !add.isValid(i)) continue;
      const dv =
        dvAny && dvCol!.isValid(i) ? (structRow(dvCol!, i) as unknown as DeletionVectorDescriptor) : null;
      out.push({ add: new CheckpointAdd(cols, i, p, dv) });
    }
  }
  for (const name of [
    'remove',
    'metaData',
    'protocol',
    'txn',
    'domainMetadata',
    'sidecar',
    'checkpointMetadata',
  ] as const) {
    const col = table.getChild(name);
    if (!col || col.nullCount === col.length) continue;
    let row = 0;
    for (const d of col.data) {
      if (d.nullCount !== d.length)
        for (let j = 0; j < d.length; j++)
          if (d.getValid(j)) out.push({ [name]: structRow(col, row + j) } as LogAction);
      row += d.length;
    }
  }
  return out;
}
