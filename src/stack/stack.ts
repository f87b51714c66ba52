/**
 * `startStack()`: the one implementation behind `npm run stack:*`, the vitest globalSetup and user
 * code. It resolves the requested services and their dependencies, installs what is missing into the
 * download cache, starts each service as a detached process as soon as its dependencies are ready,
 * waits for health under a deadline while watching the pid, bootstraps first-use state, and writes
 * `<stateDir>/env`. Services already running in the state dir are attached to (`reuse`), pid files
 * of a killed run are detected and replaced, and on any failure everything this call started is
 * stopped again before the error (naming service, log file and last log lines) is thrown.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_PORT_BASE,
  DEPENDENCIES,
  type PortName,
  type Ports,
  portsFrom,
  resolveServices,
  SERVICE_NAMES,
  type ServiceName,
} from './catalog.js';
import {
  type AlertmanagerEndpoint,
  type ConnectEndpoint,
  endpointsFor,
  formatEnvFile,
  type IcebergEndpoint,
  type KafkaEndpoint,
  type PythonEndpoint,
  type RegistryEndpoint,
  type S3Endpoint,
  type SqlEndpoint,
  type StackEndpoints,
  toEnv,
} from './endpoints.js';
import { StackError } from './errors.js';
import { defaultCacheDir, REPO_ROOT, withLock } from './install.js';
import { createIsolation, type Isolation } from './isolate.js';
import {
  isAlive,
  launchDetached,
  logTail,
  type PidRecord,
  portTakenFor,
  readPidFile,
  removeFile,
  stopProcess,
  treeRssMb,
  writePidFile,
} from './proc.js';
import { type Artifacts, pythonPath, SERVICES, type ServiceContext } from './services.js';

export interface StartStackOptions {
  /** Service or group names (`all`, `cdc`, `delta`); dependencies are added. Default: `all`. */
  services?: readonly string[];
  /** Attach to services already running in the state dir instead of failing. */
  reuse?: boolean;
  /** Download cache; default `LAKEKIT_CACHE_DIR` or `~/.cache/lakekit`. */
  cacheDir?: string;
  /** Data, logs, pid files and `env`; default `LAKEKIT_STATE_DIR` or `<repo>/.stack`. */
  stateDir?: string;
  /** First of the 11 consecutive ports; default `LAKEKIT_STACK_PORT_BASE` or 19100. */
  portBase?: number;
  /** Aborting stops what this call started and rejects. */
  signal?: AbortSignal;
  /** No progress lines on stderr (the default under CI). */
  quiet?: boolean;
  /** Stop what this call started when the process receives SIGINT/SIGTERM. Default true. */
  stopOnSignal?: boolean;
}

export type ServiceState = 'ready' | 'unhealthy' | 'dead' | 'stopped';

export interface ServiceStatus {
  service: ServiceName;
  url: string;
  state: ServiceState;
  pid?: number;
  /** Seconds from launch to ready (or install check for python) when it was started. */
  startSeconds?: number;
  rssMb?: number;
  /** True when this Stack attached to a service started by someone else. */
  attached?: boolean;
  logFile: string;
}

export function defaultStateDir(): string {
  return process.env.LAKEKIT_STATE_DIR ?? join(REPO_ROOT, '.stack');
}

const SERVICE_PORTS: Partial<Record<ServiceName, PortName[]>> = {
  s3: ['s3'],
  iceberg: ['iceberg'],
  registry: ['registry', 'registryManagement'],
  kafka: ['kafka', 'kafkaController'],
  connect: ['connect'],
  postgres: ['postgres'],
  mariadb: ['mariadb'],
  alertmanager: ['alertmanager'],
};

interface Layout {
  stateDir: string;
  cacheDir: string;
  ports: Ports;
  portBase: number;
}

function logFileOf(stateDir: string, s: ServiceName): string {
  return join(stateDir, 'logs', `${s}.log`);
}
function pidFileOf(stateDir: string, s: ServiceName): string {
  return join(stateDir, s, 'pid.json');
}
function isInstallOnly(s: ServiceName): boolean {
  return SERVICES[s].launch === undefined;
}

function readLayout(opts: { stateDir?: string; cacheDir?: string; portBase?: number }): Layout {
  const stateDir = opts.stateDir ?? defaultStateDir();
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  let saved: number | undefined;
  try {
    saved = JSON.parse(readFileSync(join(stateDir, 'stack.json'), 'utf8')).portBase;
  } catch {
    saved = undefined;
  }
  const envBase = process.env.LAKEKIT_STACK_PORT_BASE
    ? Number(process.env.LAKEKIT_STACK_PORT_BASE)
    : undefined;
  const portBase = opts.portBase ?? envBase ?? saved ?? DEFAULT_PORT_BASE;
  return { stateDir, cacheDir, portBase, ports: portsFrom(portBase) };
}

function ctxFor(
  layout: Layout,
  s: ServiceName,
  progress: (s: ServiceName, m: string) => void,
  signal?: AbortSignal,
): ServiceContext {
  const logFile = logFileOf(layout.stateDir, s);
  return {
    stateDir: layout.stateDir,
    cacheDir: layout.cacheDir,
    ports: layout.ports,
    dir: join(layout.stateDir, s),
    logFile,
    install: {
      cacheDir: layout.cacheDir,
      logFile,
      progress: (m) => progress(s, m),
      ...(signal ? { signal } : {}),
    },
    ...(signal ? { signal } : {}),
  };
}

/** Services recorded as running (pid alive, or python installed) in a state dir. */
function runningServices(stateDir: string): ServiceName[] {
  return SERVICE_NAMES.filter((s) => {
    if (isInstallOnly(s)) return existsSync(join(stateDir, s, 'installed.json'));
    const rec = readPidFile(pidFileOf(stateDir, s));
    return rec !== undefined && isAlive(rec);
  });
}

/** Rewrites `<stateDir>/env` for whatever is running there now (removed when nothing is). */
export function writeEnvFile(stateDir: string, ports: Ports): void {
  const running = runningServices(stateDir);
  const file = join(stateDir, 'env');
  if (running.length === 0) {
    rmSync(file, { force: true });
    return;
  }
  writeFileSync(file, formatEnvFile(toEnv(endpointsFor(running, ports, pythonPath(stateDir)))));
}

function makeProgress(quiet: boolean): (s: ServiceName, m: string) => void {
  const t0 = Date.now();
  return (s, m) => {
    if (quiet) return;
    process.stderr.write(
      `[stack ${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${s.padEnd(12)} ${m}\n`,
    );
  };
}

async function waitReady(
  layout: Layout,
  s: ServiceName,
  ctx: ServiceContext,
  rec: PidRecord | undefined,
  signal: AbortSignal,
): Promise<void> {
  const def = SERVICES[s];
  const until = Date.now() + def.readyTimeoutMs;
  for (;;) {
    if (signal.aborted) throw new StackError({ service: s, kind: 'aborted', message: 'start aborted' });
    if (rec && !isAlive(rec))
      throw new StackError({
        service: s,
        message: `process ${rec.pid} exited during start`,
        logFile: ctx.logFile,
        logTail: logTail(ctx.logFile),
      });
    if (await def.probe(ctx)) return;
    if (Date.now() > until)
      throw new StackError({
        service: s,
        kind: 'wait-timeout',
        message: `not ready after ${def.readyTimeoutMs / 1000} s (${def.url(layout.ports, layout.stateDir)})`,
        logFile: ctx.logFile,
        logTail: logTail(ctx.logFile),
      });
    await sleep(250);
  }
}

/**
 * Starts (or attaches to) the requested services and resolves when all are ready.
 * @throws UnknownServiceError for an unknown name; StackError when a service cannot start (then
 *   nothing this call started is left running).
 */
export async function startStack(opts: StartStackOptions = {}): Promise<Stack> {
  const services = resolveServices(opts.services ?? []);
  const layout = readLayout(opts);
  const quiet = opts.quiet ?? process.env.CI === 'true';
  const progress = makeProgress(quiet);
  mkdirSync(join(layout.stateDir, 'logs'), { recursive: true });

  const abort = new AbortController();
  const onUserAbort = () => abort.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onUserAbort, { once: true });
  const started: ServiceName[] = [];
  const attached: ServiceName[] = [];
  const times: Partial<Record<ServiceName, number>> = {};

  const stack = new Stack(layout, services, started, attached, times);
  if (opts.stopOnSignal !== false) stack.stopOnSignals();

  try {
    await withLock(join(layout.stateDir, '.lock'), 'stack', 30 * 60_000, async () => {
      writeFileSync(
        join(layout.stateDir, 'stack.json'),
        `${JSON.stringify({ portBase: layout.portBase })}\n`,
      );
      const tasks = new Map<ServiceName, Promise<void>>();
      const run = async (s: ServiceName): Promise<void> => {
        const def = SERVICES[s];
        const ctx = ctxFor(layout, s, progress, abort.signal);
        const pidFile = pidFileOf(layout.stateDir, s);
        mkdirSync(ctx.dir, { recursive: true });
        // Already running here (started by `stack:up`, another worker, or an earlier call)?
        const existing = readPidFile(pidFile);
        if (existing && isAlive(existing)) {
          if (!opts.reuse)
            throw new StackError({
              service: s,
              kind: 'validation',
              message: `already running (pid ${existing.pid}) in ${layout.stateDir}; pass reuse: true to attach, or stop it (npm run stack:down)`,
              logFile: ctx.logFile,
            });
          await waitReady(layout, s, ctx, existing, abort.signal);
          attached.push(s);
          progress(s, `already running (pid ${existing.pid})`);
          return;
        }
        if (existing) {
          // Left by a run that was killed (or a crash): its process is gone, so the record is stale.
          progress(s, `stale pid file (pid ${existing.pid} is gone); restarting`);
          removeFile(pidFile);
        }
        if (
          isInstallOnly(s) &&
          opts.reuse &&
          existsSync(join(ctx.dir, 'installed.json')) &&
          (await def.probe(ctx))
        ) {
          attached.push(s);
          return;
        }
        const t0 = Date.now();
        const artifacts: Artifacts = await def.install(ctx);
        const deps = Promise.all(DEPENDENCIES[s].map((d) => tasks.get(d)));
        // A service that does not touch its dependencies while booting starts beside them.
        if (def.launchBeforeDependencies) deps.catch(() => {});
        else await deps;
        if (abort.signal.aborted)
          throw new StackError({ service: s, kind: 'aborted', message: 'start aborted' });
        if (isInstallOnly(s)) {
          writeFileSync(join(ctx.dir, 'installed.json'), `${JSON.stringify({ python: artifacts.python })}\n`);
          await waitReady(layout, s, ctx, undefined, abort.signal);
          times[s] = (Date.now() - t0) / 1000;
          started.push(s);
          progress(s, `ready in ${times[s]?.toFixed(1)} s`);
          return;
        }
        for (const name of SERVICE_PORTS[s] ?? [])
          if (await portTakenFor(layout.ports[name]))
            throw new StackError({
              service: s,
              kind: 'validation',
              message: `port ${layout.ports[name]} (${name}) is already in use by another process; free it or choose another base with LAKEKIT_STACK_PORT_BASE / portBase`,
              logFile: ctx.logFile,
            });
        await def.prepare?.(ctx, artifacts);
        if (abort.signal.aborted)
          throw new StackError({ service: s, kind: 'aborted', message: 'start aborted' });
        progress(s, 'starting');
        const launchedAt = Date.now();
        const rec = launchDetached(def.launch!(ctx, artifacts), ctx.logFile, s);
        writePidFile(pidFile, rec);
        started.push(s);
        await deps;
        await waitReady(layout, s, ctx, rec, abort.signal);
        await def.bootstrap?.(ctx, artifacts);
        times[s] = (Date.now() - launchedAt) / 1000;
        writePidFile(pidFile, { ...rec, startSeconds: times[s] });
        progress(s, `ready in ${times[s]?.toFixed(1)} s`);
      };
      for (const s of services) {
        const p = run(s);
        // Failing fast: the first failure aborts every other start in progress.
        p.catch(() => abort.abort());
        tasks.set(s, p);
      }
      const results = await Promise.allSettled(tasks.values());
      const failures = results
        .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        .map((r) => r.reason);
      if (failures.length > 0) {
        const real = failures.find((f) => !(f instanceof StackError && f.kind === 'aborted')) ?? failures[0];
        throw real;
      }
      writeEnvFile(layout.stateDir, layout.ports);
    });
  } catch (err) {
    await stack.stop();
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onUserAbort);
  }
  return stack;
}

/** A started or attached set of services with typed endpoints. */
export class Stack {
  readonly stateDir: string;
  readonly cacheDir: string;
  readonly ports: Ports;
  /** Requested services plus their dependencies, in start order. */
  readonly services: readonly ServiceName[];
  private stopping: Promise<void> | undefined;
  private signalHandler: ((sig: NodeJS.Signals) => void) | undefined;

  constructor(
    layout: Layout,
    services: readonly ServiceName[],
    /** Services this call launched (and `stop()` stops). */
    readonly started: ServiceName[],
    readonly attached: ServiceName[],
    private readonly times: Partial<Record<ServiceName, number>>,
  ) {
    this.stateDir = layout.stateDir;
    this.cacheDir = layout.cacheDir;
    this.ports = layout.ports;
    this.services = services;
  }

  /** All endpoints of this stack's services, JSON-safe (what vitest `provide`s). */
  get endpoints(): StackEndpoints {
    return endpointsFor(this.services, this.ports, pythonPath(this.stateDir));
  }

  private need<K extends keyof StackEndpoints>(k: K): NonNullable<StackEndpoints[K]> {
    const e = this.endpoints[k];
    if (!e)
      throw new StackError({
        service: k,
        kind: 'validation',
        message: `not part of this stack (services: ${this.services.join(', ')}); add "${k}" to startStack({ services })`,
      });
    return e as NonNullable<StackEndpoints[K]>;
  }
  get s3(): S3Endpoint {
    return this.need('s3');
  }
  get iceberg(): IcebergEndpoint {
    return this.need('iceberg');
  }
  get registry(): RegistryEndpoint {
    return this.need('registry');
  }
  get kafka(): KafkaEndpoint {
    return this.need('kafka');
  }
  get connect(): ConnectEndpoint {
    return this.need('connect');
  }
  get postgres(): SqlEndpoint {
    return this.need('postgres');
  }
  get mariadb(): SqlEndpoint {
    return this.need('mariadb');
  }
  get alertmanager(): AlertmanagerEndpoint {
    return this.need('alertmanager');
  }
  get python(): PythonEndpoint {
    return this.need('python');
  }

  /** Start seconds measured by this call (attached services are not included). */
  get startSeconds(): Partial<Record<ServiceName, number>> {
    return { ...this.times };
  }

  /** Per-test resources (schema, database, topic prefix, namespace, …) removed by `dispose()`. */
  isolate(name: string): Promise<Isolation> {
    return createIsolation(this.endpoints, name);
  }

  status(): Promise<ServiceStatus[]> {
    return stackStatus({ stateDir: this.stateDir, cacheDir: this.cacheDir }, this.services, this.attached);
  }

  /** Installs SIGINT/SIGTERM handlers that stop what this call started, then exit. */
  stopOnSignals(): void {
    if (this.signalHandler) return;
    this.signalHandler = (sig) => {
      void this.stop().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    };
    process.once('SIGINT', this.signalHandler);
    process.once('SIGTERM', this.signalHandler);
  }

  /** Leaves the started services running after this process exits (what `stack:up` does). */
  detach(): void {
    this.removeSignalHandlers();
    this.started.length = 0;
  }

  private removeSignalHandlers(): void {
    if (!this.signalHandler) return;
    process.off('SIGINT', this.signalHandler);
    process.off('SIGTERM', this.signalHandler);
    this.signalHandler = undefined;
  }

  /** Stops the services this call started (never attached ones). Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.removeSignalHandlers();
      await stopServices(this.stateDir, [...this.started]);
      writeEnvFile(this.stateDir, this.ports);
    })();
    return this.stopping;
  }
}

/** Stops recorded services, dependents first (Connect before Kafka, the catalog before S3). */
async function stopServices(
  stateDir: string,
  services: readonly ServiceName[],
): Promise<Record<string, string>> {
  const outcome: Record<string, string> = {};
  const dependents = services.filter((s) => DEPENDENCIES[s].length > 0);
  const rest = services.filter((s) => DEPENDENCIES[s].length === 0);
  for (const phase of [dependents, rest])
    await Promise.all(
      phase.map(async (s) => {
        if (isInstallOnly(s)) {
          const marker = join(stateDir, s, 'installed.json');
          if (!existsSync(marker)) return;
          // The virtualenv stays in the cache; only this state dir's use of it ends.
          removeFile(marker);
          outcome[s] = 'released';
          return;
        }
        const file = pidFileOf(stateDir, s);
        const rec = readPidFile(file);
        if (!rec) return;
        outcome[s] = await stopProcess(rec, SERVICES[s].stopTimeoutMs);
        removeFile(file);
      }),
    );
  return outcome;
}

/** `stack:down`: stops every service recorded in the state dir; `purge` also deletes its data. */
export async function stopStack(
  opts: { stateDir?: string; purge?: boolean; services?: readonly string[] } = {},
): Promise<Record<string, string>> {
  const layout = readLayout(opts);
  const which =
    opts.services && opts.services.length > 0 ? resolveServices(opts.services) : [...SERVICE_NAMES];
  const outcome = await stopServices(layout.stateDir, which);
  if (opts.purge) {
    for (const s of which) rmSync(join(layout.stateDir, s), { recursive: true, force: true });
    if (!opts.services?.length) rmSync(layout.stateDir, { recursive: true, force: true });
  }
  if (existsSync(layout.stateDir)) writeEnvFile(layout.stateDir, layout.ports);
  return outcome;
}

/** The status table, probed live. */
export async function stackStatus(
  opts: { stateDir?: string; cacheDir?: string } = {},
  only?: readonly ServiceName[],
  attached: readonly ServiceName[] = [],
): Promise<ServiceStatus[]> {
  const layout = readLayout(opts);
  const noop = () => {};
  return Promise.all(
    (only ?? SERVICE_NAMES).map(async (s): Promise<ServiceStatus> => {
      const def = SERVICES[s];
      const ctx = ctxFor(layout, s, noop);
      const base = { service: s, url: def.url(layout.ports, layout.stateDir), logFile: ctx.logFile };
      const flag = attached.includes(s) ? { attached: true } : {};
      if (isInstallOnly(s)) {
        if (!existsSync(join(ctx.dir, 'installed.json'))) return { ...base, state: 'stopped' };
        return { ...base, ...flag, state: (await def.probe(ctx)) ? 'ready' : 'unhealthy' };
      }
      const rec = readPidFile(pidFileOf(layout.stateDir, s));
      if (!rec) return { ...base, state: 'stopped' };
      const common = {
        ...base,
        ...flag,
        pid: rec.pid,
        ...(rec.startSeconds !== undefined ? { startSeconds: rec.startSeconds } : {}),
      };
      if (!isAlive(rec)) return { ...common, state: 'dead' };
      return { ...common, state: (await def.probe(ctx)) ? 'ready' : 'unhealthy', rssMb: treeRssMb(rec.pid) };
    }),
  );
}

/** The table `stack:up` and `stack:status` print. */
export function formatStatusTable(rows: readonly ServiceStatus[]): string {
  const head = ['service', 'url', 'state', 'start s', 'RSS MB', 'pid'];
  const body = rows.map((r) => [
    r.service,
    r.url,
    r.state + (r.attached ? ' (attached)' : ''),
    r.startSeconds !== undefined ? r.startSeconds.toFixed(1) : '',
    r.rssMb !== undefined ? String(r.rssMb) : '',
    r.pid !== undefined ? String(r.pid) : '',
  ]);
  const total = rows.reduce((n, r) => n + (r.rssMb ?? 0), 0);
  body.push(['total', '', '', '', String(total), '']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
