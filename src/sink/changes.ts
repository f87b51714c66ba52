/**
 * The data model of the CDC sink: row changes keyed by primary key, reduced per batch so that only
 * the last change of each key is applied (an insert then update then delete of one key in the same
 * batch becomes one delete), together with the Kafka positions the batch ends at. Targets store
 * those positions in the same atomic commit as the data, which is what makes a restart lose and
 * duplicate nothing.
 */

export type ChangeOp = 'c' | 'u' | 'd' | 'r';

/** One decoded change event: Debezium's op with the row before and after. */
export interface ChangeEvent {
  op: ChangeOp;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** The next offset to read, per topic partition (Kafka's committed-offset convention). */
export interface KafkaPosition {
  topic: string;
  partition: number;
  offset: string;
}

export interface ChangeBatch {
  /** Rows to insert or replace, one per key. */
  upserts: Record<string, unknown>[];
  /** Key values of rows to delete. */
  deletes: Record<string, unknown>[];
  /** Position of the event each upsert came from (same order as `upserts`), when known. */
  upsertPositions: (KafkaPosition | undefined)[];
  /** Position of the event each delete came from (same order as `deletes`), when known. */
  deletePositions: (KafkaPosition | undefined)[];
  /** Positions after the last event in this batch; stored with the commit. */
  positions: KafkaPosition[];
  /** Events the batch was reduced from. */
  events: number;
}

/** Stable text for a key tuple (JSON of the key values in column order). */
export function keyOf(row: Record<string, unknown>, keyColumns: readonly string[]): string {
  return JSON.stringify(keyColumns.map((c) => normalizeKey(row[c])));
}

function normalizeKey(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && Number.isInteger(v)) return v.toString();
  return v ?? null;
}

/**
 * Folds events (in log order) into a batch with at most one change per key. Events without a row
 * image carrying the key are rejected: applying them would be guessing.
 */
export class ChangeReducer {
  private readonly latest = new Map<
    string,
    { op: 'upsert' | 'delete'; row: Record<string, unknown>; position: KafkaPosition | undefined }
  >();
  private readonly positions = new Map<string, KafkaPosition>();
  private count = 0;

  constructor(private readonly keyColumns: readonly string[]) {
    if (keyColumns.length === 0) throw new Error('a CDC sink needs at least one key column');
  }

  get size(): number {
    return this.count;
  }

  add(event: ChangeEvent, position?: KafkaPosition): void {
    const image = event.op === 'd' ? event.before : event.after;
    if (!image) {
      throw new Error(`change event op=${event.op} has no ${event.op === 'd' ? 'before' : 'after'} image`);
    }
    for (const c of this.keyColumns) {
      if (!(c in image)) throw new Error(`change event op=${event.op} lacks key column ${c}`);
    }
    const key = keyOf(image, this.keyColumns);
    // Delete then re-insert must land at the end of the map, so drop the old entry first.
    this.latest.delete(key);
    this.latest.set(key, { op: event.op === 'd' ? 'delete' : 'upsert', row: image, position });
    if (position) this.positions.set(`${position.topic}\u0000${position.partition}`, position);
    this.count++;
  }

  /** Marks positions consumed without an event (tombstones, heartbeats). */
  advance(position: KafkaPosition): void {
    this.positions.set(`${position.topic}\u0000${position.partition}`, position);
  }

  /** Takes the batch and resets the reducer. */
  drain(): ChangeBatch {
    const upserts: Record<string, unknown>[] = [];
    const deletes: Record<string, unknown>[] = [];
    const upsertPositions: (KafkaPosition | undefined)[] = [];
    const deletePositions: (KafkaPosition | undefined)[] = [];
    for (const { op, row, position } of this.latest.values()) {
      if (op === 'upsert') {
        upserts.push(row);
        upsertPositions.push(position);
      } else {
        deletes.push(Object.fromEntries(this.keyColumns.map((c) => [c, row[c]])));
        deletePositions.push(position);
      }
    }
    const batch: ChangeBatch = {
      upserts,
      deletes,
      upsertPositions,
      deletePositions,
      positions: [...this.positions.values()],
      events: this.count,
    };
    this.latest.clear();
    this.positions.clear();
    this.count = 0;
    return batch;
  }
}
