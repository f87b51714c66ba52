/**
 * The source side of `lakekit counts`: a Postgres or MySQL/MariaDB table addressed by one URL,
 * `postgres://user:pass@host:port/db.schema.table` or `mysql://user:pass@host:port/db.table`,
 * reduced to a row count and, over chosen columns, an order-independent checksum. Rows are
 * streamed in keyset-free batches through a cursor so a large table never sits in memory.
 */
import mysql from 'mysql2';
import pg from 'pg';
import { redactUrl } from '../http/redact.js';
import { type ColumnKind, RowChecksum } from './checksum.js';
import { UsageError } from './output.js';

export interface TableSummary {
  location: string;
  count: number;
  checksum?: string;
  columns?: string[];
}

export interface SqlTableRef {
  kind: 'postgres' | 'mysql';
  connection: string;
  database: string;
  schema?: string;
  table: string;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]*$/;

export function parseSqlTableUrl(location: string): SqlTableRef {
  let u: URL;
  try {
    u = new URL(location);
  } catch {
    throw new UsageError(`not a URL: ${redactUrl(location)}`);
  }
  const kind =
    u.protocol === 'postgres:' || u.protocol === 'postgresql:'
      ? 'postgres'
      : u.protocol === 'mysql:'
        ? 'mysql'
        : undefined;
  if (!kind) throw new UsageError(`unsupported source ${u.protocol}// (use postgres:// or mysql://)`);
  const parts = decodeURIComponent(u.pathname.replace(/^\//, '')).split('.');
  if (parts.length < 2 || parts.some((p) => !IDENT.test(p))) {
    throw new UsageError(
      `source path must be /database.table${kind === 'postgres' ? ' or /database.schema.table' : ''}, got ${u.pathname}`,
    );
  }
  const database = parts[0]!;
  const table = parts[parts.length - 1]!;
  const schema = parts.length === 3 ? parts[1] : undefined;
  if (parts.length > 3 || (kind === 'mysql' && schema))
    throw new UsageError(`too many name parts in ${u.pathname}`);
  const conn = new URL(location);
  conn.pathname = `/${database}`;
  return { kind, connection: conn.toString(), database, table, ...(schema ? { schema } : {}) };
}

export async function summarizeSqlTable(location: string, columns?: string[]): Promise<TableSummary> {
  const ref = parseSqlTableUrl(location);
  for (const c of columns ?? [])
    if (!IDENT.test(c)) throw new UsageError(`invalid column name ${JSON.stringify(c)}`);
  try {
    return await (ref.kind === 'postgres'
      ? summarizePostgres(ref, location, columns)
      : summarizeMysql(ref, location, columns));
  } catch (e) {
    // A missing table or column is a usage error (exit 2), not a failed check.
    const code = (e as { code?: string }).code;
    if (
      code === '42P01' ||
      code === '42703' ||
      code === 'ER_NO_SUCH_TABLE' ||
      code === 'ER_BAD_FIELD_ERROR'
    ) {
      throw new UsageError(`${redactUrl(location)}: ${(e as Error).message}`);
    }
    throw e;
  }
}

/**
 * Postgres types the checksum renders by meaning (see checksum.ts); their values are taken as the
 * server's text so that no driver conversion (local-time `Date`s, milliseconds) gets in the way.
 */
const PG_KINDS: Record<number, ColumnKind> = {
  700: 'float32',
  1082: 'date',
  1083: 'time',
  1114: 'timestamp',
  1184: 'timestamp',
};
/** Postgres types with no canonical form yet: refused instead of reporting a false mismatch. */
const PG_UNCANONICAL: Record<number, string> = {
  1266: 'timetz',
  1186: 'interval',
  1182: 'date[]',
  1115: 'timestamp[]',
  1185: 'timestamptz[]',
  1183: 'time[]',
  1021: 'real[]',
};
const rawText = (v: string) => v;

function pgKinds(fields: { name: string; dataTypeID: number }[]): Record<string, ColumnKind> {
  const bad = fields.filter((f) => PG_UNCANONICAL[f.dataTypeID]);
  if (bad.length) throw uncanonical(bad.map((f) => `${f.name} (${PG_UNCANONICAL[f.dataTypeID]})`));
  return Object.fromEntries(
    fields.flatMap((f) => (PG_KINDS[f.dataTypeID] ? [[f.name, PG_KINDS[f.dataTypeID]!]] : [])),
  );
}

export function uncanonical(columns: string[]): UsageError {
  return new UsageError(
    `--checksum does not support ${columns.join(', ')} yet: there is no rendering of these types that both the database and the lakehouse side agree on; checksum other columns, or compare these by count`,
  );
}

async function summarizePostgres(
  ref: SqlTableRef,
  location: string,
  columns?: string[],
): Promise<TableSummary> {
  // numeric and int8 arrive as strings (exact); temporal and real values as the server's text.
  const client = new pg.Client({
    connectionString: ref.connection,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        PG_KINDS[oid] ? rawText : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  await client.connect().catch((e: unknown) => {
    throw new UsageError(`cannot connect to ${redactUrl(ref.connection)}: ${(e as Error).message}`);
  });
  try {
    const qualified = `${ref.schema ? `"${ref.schema}".` : ''}"${ref.table}"`;
    if (!columns?.length) {
      const r = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualified}`);
      return { location: redactUrl(location), count: Number(r.rows[0]?.n ?? 0) };
    }
    const sum = new RowChecksum(columns);
    const cursorName = 'lakekit_counts';
    // ISO text in UTC: timestamptz values then carry an explicit +00 offset.
    await client.query("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO'");
    await client.query('BEGIN');
    await client.query(
      `DECLARE ${cursorName} NO SCROLL CURSOR FOR SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM ${qualified}`,
    );
    for (let first = true; ; first = false) {
      const r = await client.query(`FETCH 5000 FROM ${cursorName}`);
      if (first) sum.setKinds(pgKinds(r.fields));
      for (const row of r.rows) sum.add(row);
      if (r.rows.length < 5000) break;
    }
    await client.query('COMMIT');
    return { location: redactUrl(location), count: sum.count, checksum: sum.hex, columns };
  } finally {
    await client.end();
  }
}

async function summarizeMysql(ref: SqlTableRef, location: string, columns?: string[]): Promise<TableSummary> {
  // The callback API is used because only it streams rows (`query().stream()`).
  const conn = mysql.createConnection({
    uri: ref.connection,
    supportBigNumbers: true,
    bigNumberStrings: true,
    // Dates and times as the server's text (rendered by meaning in checksum.ts).
    dateStrings: true,
  });
  await new Promise<void>((ok, fail) => conn.connect((e) => (e ? fail(e) : ok()))).catch((e: unknown) => {
    conn.destroy();
    throw new UsageError(`cannot connect to ${redactUrl(ref.connection)}: ${(e as Error).message}`);
  });
  try {
    const qualified = `\`${ref.database}\`.\`${ref.table}\``;
    const cols = columns?.length ? columns : undefined;
    const sum = new RowChecksum(cols ?? []);
    const sql = cols
      ? `SELECT ${cols.map((c) => `\`${c}\``).join(', ')} FROM ${qualified}`
      : `SELECT COUNT(*) AS n FROM ${qualified}`;
    let counted = 0;
    // TIMESTAMP columns are shown in the session's zone: make that UTC.
    await new Promise<void>((ok, fail) =>
      conn.query("SET time_zone = '+00:00'", (e) => (e ? fail(e) : ok())),
    );
    const query = conn.query(sql);
    query.on('fields', (fields: { name: string; columnType?: number }[]) => {
      // MySQL column types: 4 FLOAT, 7 TIMESTAMP, 10 DATE, 11 TIME, 12 DATETIME.
      const kinds: Record<number, ColumnKind> = {
        4: 'float32',
        7: 'timestamp',
        10: 'date',
        11: 'time',
        12: 'timestamp',
      };
      sum.setKinds(
        Object.fromEntries(
          fields.flatMap((f) =>
            f.columnType !== undefined && kinds[f.columnType] ? [[f.name, kinds[f.columnType]!]] : [],
          ),
        ),
      );
    });
    for await (const row of query.stream()) {
      if (cols) sum.add(row as Record<string, unknown>);
      else counted = Number((row as { n: string | number }).n);
    }
    return cols
      ? { location: redactUrl(location), count: sum.count, checksum: sum.hex, columns: cols }
      : { location: redactUrl(location), count: counted };
  } finally {
    await conn.promise().end();
  }
}
