#!/usr/bin/env node
/**
 * The `lakekit` command: scripted data checks and contract verification for a CDC lakehouse.
 * Each subcommand lives in its own module; this file only declares flags (commander), wires the
 * shared options (`--env-file`, `--json`, `--quiet`) and maps outcomes to exit codes
 * (0 ok, 1 a check failed, 2 usage or connection error).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Argument, Command, CommanderError } from 'commander';
import { redactUrl } from '../http/redact.js';
import { endpointsFrom, loadVariables } from './config.js';
import { runDemo } from './demo.js';
import { checkHealth } from './doctor.js';
import {
  createReporter,
  describeError,
  EXIT_CHECK_FAILED,
  EXIT_OK,
  EXIT_USAGE,
  table,
  UsageError,
} from './output.js';
import { summarizeSqlTable, type TableSummary } from './sources.js';
import { tail } from './tail.js';
import { summarizeTarget } from './targets.js';
import { VERIFY_SPECS, type VerifyService, verifyService } from './verify.js';

interface GlobalFlags {
  stackEnv: string;
  json?: boolean;
  quiet?: boolean;
}

export function buildProgram(): Command {
  const program = new Command('lakekit')
    .description('Typed checks for a CDC lakehouse: Postgres/MySQL → Debezium → Kafka → Iceberg/Delta')
    .option('--stack-env <file>', 'endpoints file written by `npm run stack:up`', '.stack/env')
    .option('--json', 'print one JSON document instead of tables')
    .option('-q, --quiet', 'no progress on stderr')
    .exitOverride()
    .showHelpAfterError();

  const flags = () => program.opts<GlobalFlags>();

  program
    .command('verify')
    .description(
      'run the contract checks against a live server: every safe operation validated against specs/',
    )
    .addArgument(new Argument('<service>', 'which API').choices(Object.keys(VERIFY_SPECS)))
    .option('--url <url>', 'base URL (default: from the env file)')
    .option('--param <name=value...>', 'path parameter values to use instead of discovered ones')
    .action(async (service: VerifyService, o: { url?: string; param?: string[] }) => {
      const g = flags();
      const out = createReporter(g);
      const url = o.url ?? defaultUrl(service, g.stackEnv);
      const params = Object.fromEntries(
        (o.param ?? []).map((p) => p.split(/=(.*)/s).slice(0, 2) as [string, string]),
      );
      out.progress(`verifying ${service} at ${url} against specs/${VERIFY_SPECS[service]}.yaml`);
      const report = await verifyService(service, { baseUrl: url, params });
      const rows = report.operations.map((op) => ({
        operation: op.operationId,
        path: op.path,
        outcome: op.outcome,
        status: 'status' in op ? op.status : '',
        detail:
          op.outcome === 'invalid'
            ? op.problems.slice(0, 3).join('; ')
            : op.outcome === 'error'
              ? op.message
              : op.outcome === 'skipped'
                ? op.reason
                : op.outcome === 'valid' && op.extraFields.length
                  ? `extra fields: ${op.extraFields.slice(0, 5).join(', ')}`
                  : '',
      }));
      out.result(
        `${table(rows)}\n${report.ok ? 'OK' : 'FAILED'}: ${report.spec} (${report.specVersion}) vs ${report.url}\n`,
        report,
      );
      process.exitCode = report.ok ? EXIT_OK : report.unreachable ? EXIT_USAGE : EXIT_CHECK_FAILED;
    });

  program
    .command('counts')
    .description('compare a source table with its lakehouse copy: row counts and, with --checksum, content')
    .requiredOption(
      '--source <url>',
      'postgres://user:pass@host:port/db[.schema].table or mysql://…/db.table',
    )
    .requiredOption(
      '--target <location>',
      'iceberg://namespace.table or delta://<s3://bucket/path | /local/dir>',
    )
    .option('--checksum <columns>', 'comma-separated columns for an order-independent content hash')
    .option('--key <columns>', 'key columns (needed for change-log targets written by the CDC sink)')
    .action(async (o: { source: string; target: string; checksum?: string; key?: string }) => {
      const g = flags();
      const out = createReporter(g);
      const columns = splitList(o.checksum);
      const keyColumns = splitList(o.key);
      const endpoints = endpointsFrom(loadVariables(g.stackEnv));
      out.progress(`reading ${redactUrl(o.source)} and ${o.target}`);
      const settled = await Promise.allSettled([
        summarizeSqlTable(o.source, columns),
        summarizeTarget(o.target, {
          endpoints,
          ...(columns ? { columns } : {}),
          ...(keyColumns ? { keyColumns } : {}),
        }),
      ]);
      // Report a usage problem (either side) before any other failure: it is what the user must fix.
      const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      if (failures.length) throw failures.find((f) => exitCodeOf(f) === EXIT_USAGE) ?? failures[0];
      const [source, target] = settled.map((r) => (r as PromiseFulfilledResult<TableSummary>).value) as [
        TableSummary,
        TableSummary,
      ];
      const countsEqual = source.count === target.count;
      const checksumsEqual = !columns || source.checksum === target.checksum;
      const ok = countsEqual && checksumsEqual;
      const rows = [
        { side: 'source', location: source.location, rows: source.count, checksum: source.checksum ?? '' },
        { side: 'target', location: target.location, rows: target.count, checksum: target.checksum ?? '' },
      ];
      const verdict = ok
        ? `OK: ${source.count} rows on both sides${columns ? `, checksums equal over ${columns.join(', ')}` : ''}`
        : `MISMATCH: ${countsEqual ? '' : `row counts differ by ${target.count - source.count}`}${!countsEqual && !checksumsEqual ? '; ' : ''}${checksumsEqual ? '' : 'checksums differ'}`;
      out.result(`${table(rows)}\n${verdict}\n`, {
        ok,
        source,
        target,
        difference: target.count - source.count,
      });
      process.exitCode = ok ? EXIT_OK : EXIT_CHECK_FAILED;
    });

  program
    .command('demo')
    .description(
      'end to end on the local stack: Postgres/MariaDB → Debezium → Kafka → CDC sink → lakehouse, then counts',
    )
    .option('--rows <n>', 'rows in the initial snapshot', '1000')
    .option('--sources <list>', 'postgres,mariadb', 'postgres,mariadb')
    .option('--restart-sink-after <batches>', 'stop each sink after this many batches and start it again')
    .action(async (o: { rows: string; sources: string; restartSinkAfter?: string }) => {
      const g = flags();
      const out = createReporter(g);
      const rows = Number(o.rows);
      if (!Number.isInteger(rows) || rows < 10)
        throw new UsageError(`--rows must be an integer ≥ 10, got ${o.rows}`);
      const sources = splitList(o.sources) ?? [];
      const bad = sources.filter((s) => s !== 'postgres' && s !== 'mariadb');
      if (bad.length || sources.length === 0)
        throw new UsageError(`--sources takes postgres and/or mariadb, got ${o.sources}`);
      const endpoints = endpointsFrom(loadVariables(g.stackEnv));
      const t0 = performance.now();
      const results = await runDemo({
        endpoints,
        rows,
        sources: sources as ('postgres' | 'mariadb')[],
        ...(o.restartSinkAfter ? { restartSinkAfterBatches: Number(o.restartSinkAfter) } : {}),
        progress: (line) => out.progress(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`),
      });
      const table_ = results.map((r) => ({
        flow: r.flow,
        'source rows': r.source.count,
        'target rows': r.target.count,
        'source checksum': r.source.checksum,
        'target checksum': r.target.checksum,
        events: r.events,
        restarts: r.restarts,
        seconds: r.seconds,
        check: r.ok ? 'OK' : 'MISMATCH',
      }));
      const ok = results.every((r) => r.ok);
      out.result(
        `${table(table_)}\n${ok ? 'demo OK: every target holds exactly its source rows' : 'demo FAILED: see MISMATCH rows'}\n`,
        {
          ok,
          flows: results,
        },
      );
      process.exitCode = ok ? EXIT_OK : EXIT_CHECK_FAILED;
    });

  program
    .command('tail')
    .description('print new Delta commits or Iceberg snapshots as they land')
    .argument('<table>', 'delta location (s3://bucket/path, /local/dir) or iceberg://namespace.table')
    .option(
      '--from <version>',
      'Delta: also print commits after this version; Iceberg: replay existing snapshots',
    )
    .option('--count <n>', 'stop after n entries')
    .option('--idle-timeout <seconds>', 'stop after this long without a new entry')
    .option('--interval <ms>', 'poll interval', '1000')
    .action(
      async (
        location: string,
        o: { from?: string; count?: string; idleTimeout?: string; interval: string },
      ) => {
        const g = flags();
        const out = createReporter(g);
        const endpoints = endpointsFrom(loadVariables(g.stackEnv));
        const ac = new AbortController();
        process.once('SIGINT', () => ac.abort());
        out.progress(`tailing ${location} (Ctrl-C to stop)`);
        const n = await tail(location, {
          endpoints,
          signal: ac.signal,
          pollIntervalMs: Number(o.interval),
          ...(o.from !== undefined ? { fromVersion: Number(o.from) } : {}),
          ...(o.count !== undefined ? { count: Number(o.count) } : {}),
          ...(o.idleTimeout !== undefined ? { idleTimeoutMs: Number(o.idleTimeout) * 1000 } : {}),
          onEntry: (e) =>
            process.stdout.write(
              g.json
                ? `${JSON.stringify(e)}\n`
                : `${e.timestamp}  ${e.table}  ${e.id}  ${e.operation}  ${e.summary}\n`,
            ),
        });
        out.progress(`${n} entries`);
      },
    );

  program
    .command('doctor')
    .description('health of every configured service: versions, latency, CDC prerequisites')
    .action(async () => {
      const g = flags();
      const out = createReporter(g);
      const endpoints = endpointsFrom(loadVariables(g.stackEnv));
      const configured = Object.keys(endpoints).filter((k) => k !== 'python');
      if (configured.length === 0) {
        throw new UsageError(
          `no services configured: no ${g.stackEnv} and no LAKEKIT_* variables (start the stack: npm run stack:up)`,
        );
      }
      out.progress(`checking ${configured.join(', ')}`);
      const health = await checkHealth(endpoints);
      const rows = health.map((h) => ({
        service: h.service,
        state: h.ok ? 'ok' : 'FAIL',
        version: h.version ?? '',
        'latency ms': h.latencyMs,
        url: h.url,
        detail: h.detail,
      }));
      const failed = health.filter((h) => !h.ok).length;
      out.result(
        `${table(rows)}\n${failed ? `${failed} of ${health.length} services failing` : `all ${health.length} services healthy`}\n`,
        {
          ok: failed === 0,
          services: health,
        },
      );
      process.exitCode = failed === 0 ? EXIT_OK : EXIT_CHECK_FAILED;
    });

  return program;
}

function splitList(v: string | undefined): string[] | undefined {
  const list = v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return list?.length ? list : undefined;
}

function defaultUrl(service: VerifyService, envFile: string): string {
  const e = endpointsFrom(loadVariables(envFile));
  const url = {
    iceberg: e.iceberg?.url,
    registry: e.registry?.url,
    connect: e.connect?.url,
    alertmanager: e.alertmanager?.url,
  }[service];
  if (!url) throw new UsageError(`no URL for ${service}: pass --url or start the stack (npm run stack:up)`);
  return url;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    process.stderr.write(`lakekit: ${describeError(e)}\n`);
    return exitCodeOf(e);
  }
}

/** Usage errors, bad input caught by a library (`validation`) and unreachable services exit 2. */
function exitCodeOf(e: unknown): number {
  if (e instanceof UsageError) return EXIT_USAGE;
  const k = (e as { kind?: string })?.kind;
  return k === 'network' || k === 'timeout' || k === 'validation' ? EXIT_USAGE : EXIT_CHECK_FAILED;
}

// kafkajs 2.2.4 schedules a timer with a negative delay on Node ≥ 23 (its request queue computes
// `Date.now() - time` the wrong way round); the timer fires at once, which is what it wants, but
// Node prints a TimeoutNegativeWarning per call. Drop only that warning from the CLI's output.
function quietKafkajsTimerWarning(): void {
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (w) => {
    if (w.name === 'TimeoutNegativeWarning') return;
    for (const l of listeners) l(w);
  });
}

// Run when executed directly (also through the npm bin symlink), not when imported by tests.
const entry = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (entry === fileURLToPath(import.meta.url)) {
  quietKafkajsTimerWarning();
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
