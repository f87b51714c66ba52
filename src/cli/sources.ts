/**
 * The source side of `lakekit counts`: a Postgres or MySQL/MariaDB table addressed by one URL,
 * `postgres://user:pass@host:port/db.schema.table` or `mysql://user:pass@host:port/db.table`,
 * reduced to a row count and, over chosen columns, an order-independent checksum. Rows are
 * streamed in keyset-free batches through a cursor so a large table never sits in memory.
 */
import mysql from 'mysql2';
import pg from 'pg';
import { redactUrl } from '../http/redact.js';
import { RowChecksum } from './checksum.js';
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
 * Column types whose values the checksum cannot yet render identically on both sides (dates and
 * timestamps arrive as local-time `Date`s from the drivers and as epoch numbers from Arrow; float4
 * widens differently): refuse them instead of reporting a false mismatch.
 */
const PG_UNCANONICAL: Record<number, string> = {
  700: 'real',
  1082: 'date',
  1083: 'time',
  1114: 'timestamp',
  1184: 'timestamptz',
  1266: 'timetz',
  1186: 'interval',
};
function refuseUncanonicalPgTypes(fields: { name: string; dataTypeID: number }[]): void {
  const bad = fields.filter((f) => PG_UNCANONICAL[f.dataTypeID]);
  if (bad.length) throw uncanonical(bad.map((f) => `${f.name} (${PG_UNCANONICAL[f.dataTypeID]})`));
}

export function uncanonical(columns: string[]): UsageError {
  return new UsageError(
    `--checksum does not support ${columns.join(', ')} yet: dates, times, timestamps and 32-bit floats are rendered differently by the source driver and by Arrow; checksum integer, string, boolean, double or decimal-as-text columns, or compare them by count`,
  );
}

async function summarizePostgres(
  ref: SqlTableRef,
  location: string,
  columns?: string[],
): Promise<TableSummary> {
  const client = new pg.Client({ connectionString: ref.connection });
  // numeric and int8 arrive as strings; keep them exact for the checksum.
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
    await client.query('BEGIN');
    await client.query(
      `DECLARE ${cursorName} NO SCROLL CURSOR FOR SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM ${qualified}`,
    );
    for (let first = true; ; first = false) {
      const r = await client.query(`FETCH 5000 FROM ${cursorName}`);
      if (first) refuseUncanonicalPgTypes(r.fields);
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
    const query = conn.query(sql);
    query.on('fields', (fields: { name: string; columnType?: number }[]) => {
      // MySQL column types: 4 FLOAT, 7 TIMESTAMP, 10 DATE, 11 TIME, 12 DATETIME, 13 YEAR.
      const names: Record<number, string> = {
        4: 'float',
        7: 'timestamp',
        10: 'date',
        11: 'time',
        12: 'datetime',
      };
      const bad = cols ? fields.filter((f) => f.columnType !== undefined && names[f.columnType]) : [];
      if (bad.length)
        query.emit('error', uncanonical(bad.map((f) => `${f.name} (${names[f.columnType as number]})`)));
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
