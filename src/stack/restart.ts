/**
 * Stopping and starting ONE service of a running stack, for fault-injection tests (kill the Connect
 * worker mid-stream, bring it back) and for applying a changed service definition without touching
 * the rest. `killService` signals the process recorded in the service's pid file — never a process
 * looked up by name — and waits until it is gone; `startService` brings that one service back
 * through `startStack` (so install, prepare, launch, readiness and pid tracking are the same code
 * as `stack:up`), after checking that its dependencies are still running so that it never starts
 * anything else.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEPENDENCIES, isServiceName, SERVICE_NAMES, type ServiceName } from './catalog.js';
import { StackError, UnknownServiceError } from './errors.js';
import { isAlive, type PidRecord, readPidFile, removeFile, stopProcess } from './proc.js';
import { SERVICES } from './services.js';
import { defaultStateDir, startStack } from './stack.js';

export interface KillServiceOptions {
  stateDir?: string;
  /**
   * `SIGKILL` (default) simulates a crash: no shutdown hooks, nothing flushed, and the pid file is
   * left behind as a crash would leave it (`startStack` detects it as stale). `SIGTERM` (or the
   * service's own stop signal) is a clean stop with SIGKILL after the service's deadline; the pid
   * file is then removed as `stack:down` does.
   */
  signal?: 'SIGKILL' | 'SIGTERM';
  /** How long to wait for the process to disappear after SIGKILL. Default 10 s. */
  timeoutMs?: number;
}

export interface KilledService {
  service: ServiceName;
  pid: number;
  signal: 'SIGKILL' | 'SIGTERM';
  /** When the process was seen gone. */
  goneAt: number;
}

export interface StartServiceOptions {
  stateDir?: string;
  cacheDir?: string;
  quiet?: boolean;
  signal?: AbortSignal;
}

export interface StartedService {
  service: ServiceName;
  pid: number;
  /** Launch to ready, as measured by `startStack` (0 when it was already running). */
  readySeconds: number;
  /** False when the service was found running and only attached to. */
  restarted: boolean;
}

function processService(name: string): ServiceName {
  if (!isServiceName(name)) throw new UnknownServiceError([name], SERVICE_NAMES);
  if (SERVICES[name].launch === undefined)
    throw new StackError({
      service: name,
      kind: 'validation',
      message: 'installs clients only and has no process to stop or start',
    });
  return name;
}

function pidFile(stateDir: string, s: ServiceName): string {
  return join(stateDir, s, 'pid.json');
}

/** The live pid record of a service, or undefined when it is not running in that state dir. */
export function runningProcess(service: string, opts: { stateDir?: string } = {}): PidRecord | undefined {
  const s = processService(service);
  const rec = readPidFile(pidFile(opts.stateDir ?? defaultStateDir(), s));
  return rec && isAlive(rec) ? rec : undefined;
}

/**
 * Stops one running service of the stack in `stateDir` and resolves once its process is gone.
 * @throws StackError when the service is not running there, or survives SIGKILL.
 */
export async function killService(service: string, opts: KillServiceOptions = {}): Promise<KilledService> {
  const s = processService(service);
  const stateDir = opts.stateDir ?? defaultStateDir();
  const file = pidFile(stateDir, s);
  const rec = readPidFile(file);
  if (!rec || !isAlive(rec))
    throw new StackError({
      service: s,
      kind: 'validation',
      message: `not running in ${stateDir} (no live pid file)`,
    });
  const signal = opts.signal ?? 'SIGKILL';
  if (signal === 'SIGTERM') {
    await stopProcess(rec, SERVICES[s].stopTimeoutMs);
    removeFile(file);
    return { service: s, pid: rec.pid, signal, goneAt: Date.now() };
  }
  // A launched service leads its own process group, which holds only what it forked: kill it all,
  // as a machine crash or the OOM killer would.
  try {
    process.kill(-rec.pid, 'SIGKILL');
  } catch {
    process.kill(rec.pid, 'SIGKILL');
  }
  const until = Date.now() + (opts.timeoutMs ?? 10_000);
  while (isAlive(rec)) {
    if (Date.now() > until)
      throw new StackError({ service: s, message: `pid ${rec.pid} still alive after SIGKILL` });
    await sleep(50);
  }
  return { service: s, pid: rec.pid, signal, goneAt: Date.now() };
}

/**
 * Starts one stopped (or crashed) service of an otherwise running stack and resolves when it is
 * ready; attaches when it is already running. Its dependencies must be running: this never starts
 * a second service behind the caller's back.
 * @throws StackError when a dependency is down or the service does not become ready.
 */
export async function startService(service: string, opts: StartServiceOptions = {}): Promise<StartedService> {
  const s = processService(service);
  const stateDir = opts.stateDir ?? defaultStateDir();
  const down = DEPENDENCIES[s].filter((d) => runningProcess(d, { stateDir }) === undefined);
  if (down.length > 0)
    throw new StackError({
      service: s,
      kind: 'validation',
      message: `cannot start alone: ${down.join(', ')} not running in ${stateDir} (use startStack)`,
    });
  const stack = await startStack({
    services: [s],
    reuse: true,
    stateDir,
    quiet: opts.quiet ?? true,
    // The service must outlive this call and this process, as if `stack:up` had started it.
    stopOnSignal: false,
    ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const restarted = stack.started.includes(s);
  const readySeconds = stack.startSeconds[s] ?? 0;
  stack.detach();
  const rec = runningProcess(s, { stateDir });
  if (!rec) throw new StackError({ service: s, message: 'ready but its pid file names no live process' });
  return { service: s, pid: rec.pid, readySeconds, restarted };
}

/** `killService` then `startService`: a clean (SIGTERM) restart of one service by default. */
export async function restartService(
  service: string,
  opts: StartServiceOptions & Pick<KillServiceOptions, 'signal'> = {},
): Promise<StartedService> {
  const stateDir = opts.stateDir ?? defaultStateDir();
  if (runningProcess(service, { stateDir }))
    await killService(service, { stateDir, signal: opts.signal ?? 'SIGTERM' });
  return startService(service, opts);
}
