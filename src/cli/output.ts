/**
 * How CLI commands speak: a plain-text table for people, one JSON document with `--json` for
 * scripts, progress lines on stderr (never mixed into stdout), and the exit codes every command
 * shares: 0 ok, 1 a check failed, 2 usage or connection error.
 */
import { isLakekitError } from '../http/errors.js';

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;

/** Raised for bad flags or unreachable services: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function table(rows: Record<string, unknown>[], columns?: string[]): string {
  if (rows.length === 0) return '(none)\n';
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const cell = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) =>
    `${vals
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()}\n`;
  return (
    line(cols) +
    line(widths.map((w) => '-'.repeat(w))) +
    rows.map((r) => line(cols.map((c) => cell(r[c])))).join('')
  );
}

export interface Reporter {
  json: boolean;
  quiet: boolean;
  progress(message: string): void;
  result(human: string, data: unknown): void;
}

export function createReporter(opts: { json?: boolean; quiet?: boolean }): Reporter {
  const json = opts.json === true;
  const quiet = opts.quiet === true || json;
  return {
    json,
    quiet,
    progress(message) {
      if (!quiet) process.stderr.write(`${message}\n`);
    },
    result(human, data) {
      process.stdout.write(json ? `${JSON.stringify(data, bigintSafe, 2)}\n` : human);
    },
  };
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** One line describing an error, without stack or secrets (errors are already redacted). */
export function describeError(e: unknown): string {
  if (isLakekitError(e)) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
