/**
 * Debezium change-event envelopes and their decoder. A record value is one of: a change event
 * (`op` c/u/d/r/t/m with `before`, `after`, `source`), a tombstone (null value after a delete), a
 * MySQL/MariaDB schema-change event (`ddl`), or a row already flattened by ExtractNewRecordState.
 * JSON with schemas (`{ schema, payload }`) and without are both accepted; Avro values must be
 * decoded by the registry serde first and passed in as objects. Envelope fields follow
 * https://debezium.io/documentation/reference/stable/connectors/postgresql.html#postgresql-events
 * and the MySQL/MariaDB equivalents.
 */
import { KafkaError } from './errors.js';

/** c = create, u = update, d = delete, r = snapshot read, t = truncate, m = logical decoding message. */
export type DebeziumOp = 'c' | 'u' | 'd' | 'r' | 't' | 'm';
const OPS: ReadonlySet<string> = new Set(['c', 'u', 'd', 'r', 't', 'm']);

/** The `source` block: where and when the change happened. Connector-specific fields are optional. */
export interface DebeziumSource {
  version?: string;
  /** `postgresql`, `mysql`, `mariadb`, … */
  connector?: string;
  /** The connector's `topic.prefix`. */
  name?: string;
  /** When the change was committed in the database (ms). */
  ts_ms?: number;
  ts_us?: number;
  /** Nanoseconds exceed 2^53: JSON.parse rounds them to about 100 ns. Use `ts_ms`/`ts_us` for ordering. */
  ts_ns?: number;
  /** `true`/`first`/`last`/`first_in_data_collection`/`last_in_data_collection`/`incremental` during a snapshot, else `false`. */
  snapshot?: string | boolean;
  db?: string;
  schema?: string;
  table?: string;
  sequence?: string | null;
  /** PostgreSQL: transaction id and WAL position. */
  txId?: number | null;
  lsn?: number | null;
  xmin?: number | null;
  /** MySQL/MariaDB: binlog coordinates. */
  file?: string;
  pos?: number;
  row?: number;
  server_id?: number;
  gtid?: string | null;
  thread?: number | null;
  query?: string | null;
  [field: string]: unknown;
}

export interface DebeziumChangeEvent<Row = Record<string, unknown>> {
  kind: 'change';
  op: DebeziumOp;
  /** Row before the change (u, d); on PostgreSQL complete only with REPLICA IDENTITY FULL. */
  before: Row | null;
  /** Row after the change (c, u, r). */
  after: Row | null;
  source: DebeziumSource;
  /** When the connector processed the event (ms). */
  tsMs: number | undefined;
  /** A snapshot read (op `r`, or `source.snapshot` other than `false`). */
  snapshot: boolean;
  /** Decoded record key (the primary key columns), `null` when the table has none. */
  key: unknown;
  transaction: { id: string; total_order: number; data_collection_order: number } | null;
  /** The value's Connect schema when the converter had schemas enabled. */
  schema?: unknown;
  /** Op `m`: the logical decoding message. */
  message?: { prefix: string; content: string };
}

/** The null-value record Debezium writes after a delete so compaction can drop the key. */
export interface DebeziumTombstone {
  kind: 'tombstone';
  key: unknown;
}

/** MySQL/MariaDB DDL event on the `topic.prefix` topic. */
export interface DebeziumSchemaChange {
  kind: 'schema-change';
  key: unknown;
  ddl: string;
  databaseName: string | undefined;
  schemaName: string | undefined;
  source: DebeziumSource;
  tsMs: number | undefined;
  tableChanges: unknown[];
}

/** A record flattened by ExtractNewRecordState (`__op`, `__deleted` present when added). */
export interface DebeziumFlatRow<Row = Record<string, unknown>> {
  kind: 'row';
  op: DebeziumOp | undefined;
  /** `__deleted` = true (delete handling `rewrite`). */
  deleted: boolean;
  row: Row;
  key: unknown;
}

export type DebeziumEvent<Row = Record<string, unknown>> =
  | DebeziumChangeEvent<Row>
  | DebeziumTombstone
  | DebeziumSchemaChange
  | DebeziumFlatRow<Row>;

/** Raw key/value: bytes or text as read from Kafka, or an object already decoded (e.g. Avro). */
export type RawPart = Buffer | Uint8Array | string | Record<string, unknown> | null | undefined;

/**
 * Decodes one Debezium record. Accepts a `ConsumedRecord` from `consumeUntil` or any
 * `{ key, value }`. Throws a `KafkaError` (`isUndecodable()`) naming topic/partition/offset when
 * the record is not a Debezium JSON event.
 */
export function decodeDebeziumEvent<Row = Record<string, unknown>>(record: {
  key?: RawPart;
  value: RawPart;
  topic?: string;
  partition?: number;
  offset?: string;
}): DebeziumEvent<Row> {
  const where = record.topic ? ` at ${record.topic}[${record.partition ?? '?'}]@${record.offset ?? '?'}` : '';
  const fail = (what: string): never => {
    throw new KafkaError({
      message: `kafka: not a Debezium event${where}: ${what}`,
      kind: 'protocol',
      ...(record.topic ? { topic: record.topic } : {}),
    });
  };
  const key = unwrapSchema(parse(record.key, 'key', fail)).payload;
  const parsed = parse(record.value, 'value', fail);
  if (parsed === null) return { kind: 'tombstone', key };
  const { payload, schema } = unwrapSchema(parsed);
  if (payload === null) return { kind: 'tombstone', key };
  if (!isObject(payload)) return fail(`value is ${typeof payload}, expected an object`);

  if (typeof payload.op === 'string') {
    if (!OPS.has(payload.op)) return fail(`unknown op ${JSON.stringify(payload.op)}`);
    const op = payload.op as DebeziumOp;
    if (!isObject(payload.source)) return fail('change event without a source block');
    const before = rowOrNull(payload.before, 'before', fail) as Row | null;
    const after = rowOrNull(payload.after, 'after', fail) as Row | null;
    const source = payload.source as DebeziumSource;
    const snapshotFlag = source.snapshot;
    const event: DebeziumChangeEvent<Row> = {
      kind: 'change',
      op,
      before,
      after,
      source,
      tsMs: typeof payload.ts_ms === 'number' ? payload.ts_ms : undefined,
      snapshot:
        op === 'r' || (snapshotFlag !== undefined && snapshotFlag !== 'false' && snapshotFlag !== false),
      key,
      transaction: isObject(payload.transaction)
        ? (payload.transaction as DebeziumChangeEvent['transaction'])
        : null,
      ...(schema !== undefined ? { schema } : {}),
      ...(isObject(payload.message)
        ? { message: payload.message as NonNullable<DebeziumChangeEvent['message']> }
        : {}),
    };
    return event;
  }
  if (typeof payload.ddl === 'string') {
    return {
      kind: 'schema-change',
      key,
      ddl: payload.ddl,
      databaseName: typeof payload.databaseName === 'string' ? payload.databaseName : undefined,
      schemaName: typeof payload.schemaName === 'string' ? payload.schemaName : undefined,
      source: isObject(payload.source) ? (payload.source as DebeziumSource) : {},
      tsMs: typeof payload.ts_ms === 'number' ? payload.ts_ms : undefined,
      tableChanges: Array.isArray(payload.tableChanges) ? payload.tableChanges : [],
    };
  }
  const flatOp =
    typeof payload.__op === 'string' && OPS.has(payload.__op) ? (payload.__op as DebeziumOp) : undefined;
  return {
    kind: 'row',
    op: flatOp,
    deleted: payload.__deleted === true || payload.__deleted === 'true',
    row: payload as Row,
    key,
  };
}

/** Narrowing helper: only change events (c/u/d/r/t/m). */
export function isChangeEvent<Row>(e: DebeziumEvent<Row>): e is DebeziumChangeEvent<Row> {
  return e.kind === 'change';
}

function parse(part: RawPart, which: string, fail: (what: string) => never): unknown {
  if (part === null || part === undefined) return null;
  if (typeof part === 'object' && !(part instanceof Uint8Array)) return part;
  const bytes = typeof part === 'string' ? undefined : part;
  // Confluent wire format: magic byte 0, then a 4-byte schema id.
  if (bytes && bytes.length >= 5 && bytes[0] === 0) {
    return fail(
      `${which} is in the schema-registry wire format (Avro/Protobuf): decode it with lakekit/registry first`,
    );
  }
  const text = typeof part === 'string' ? part : Buffer.from(part).toString('utf8');
  if (text.length === 0) return null;
  try {
    return JSON.parse(text);
  } catch {
    return fail(`${which} is not JSON`);
  }
}

// JsonConverter with schemas.enable=true wraps every value as exactly { schema, payload }.
function unwrapSchema(v: unknown): { payload: unknown; schema?: unknown } {
  if (isObject(v) && 'payload' in v && 'schema' in v && Object.keys(v).length === 2) {
    return { payload: v.payload, schema: v.schema };
  }
  return { payload: v };
}

function rowOrNull(v: unknown, field: string, fail: (what: string) => never): Record<string, unknown> | null {
  if (v === null || v === undefined) return null;
  if (!isObject(v)) return fail(`${field} is ${typeof v}, expected a row object or null`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}
