/**
 * Process plumbing for the stack: detached children with their output in a log file, pid files that
 * also record the kernel's start time of the process (so a recycled pid is never mistaken for ours
 * and never signalled), liveness, stop with a deadline, resident memory of a process tree, port
 * probes and one-shot helper commands. Nothing here ever looks a process up by name.
 */
import { type SpawnOptions, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './errors.js';

export interface PidRecord {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: ties the record to this exact process incarnation. */
  startTicks: string;
  /** Seconds from spawn to ready, as measured when it was started. */
  startSeconds?: number;
  startedAt: string;
  /** Signal that shuts the service down cleanly (PostgreSQL wants SIGINT: "fast" shutdown). */
  stopSignal: NodeJS.Signals;
}

export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    if (state === 'Z' || state === 'X') return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

export function isAlive(rec: Pick<PidRecord, 'pid' | 'startTicks'>): boolean {
  return processStartTicks(rec.pid) === rec.startTicks;
}

export function readPidFile(file: string): PidRecord | undefined {
  try {
    const rec = JSON.parse(readFileSync(file, 'utf8')) as PidRecord;
    return typeof rec.pid === 'number' ? rec : undefined;
  } catch {
    return undefined;
  }
}

export function writePidFile(file: string, rec: PidRecord): void {
  writeFileSync(file, `${JSON.stringify(rec, null, 2)}\n`);
}

export interface LaunchSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  uid?: number;
  gid?: number;
  stopSignal?: NodeJS.Signals;
}

/**
 * Starts a detached child in its own session (so a Ctrl-C on the terminal does not reach it and it
 * outlives `stack:up`), with stdout and stderr appended to `logFile`.
 */
export function launchDetached(spec: LaunchSpec, logFile: string, service: string): PidRecord {
  const fd = openSync(logFile, 'a');
  try {
    const opts: SpawnOptions = {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...spec.env },
    };
    if (spec.cwd) opts.cwd = spec.cwd;
    if (spec.uid !== undefined) opts.uid = spec.uid;
    if (spec.gid !== undefined) opts.gid = spec.gid;
    const child = spawn(spec.command, spec.args, opts);
    // An ENOENT arrives asynchronously as an 'error' event; the readiness wait sees the dead pid.
    child.on('error', () => {});
    child.unref();
    if (child.pid === undefined)
      throw new StackError({ service, message: `could not spawn ${spec.command}`, logFile });
    const startTicks = processStartTicks(child.pid) ?? '';
    return {
      pid: child.pid,
      startTicks,
      startedAt: new Date().toISOString(),
      stopSignal: spec.stopSignal ?? 'SIGTERM',
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * Stops one recorded process: its stop signal to the process group it leads (a detached child is
 * its group's leader, and the group holds only what it forked, e.g. PostgreSQL's backends), then
 * SIGKILL after the deadline. Returns whether it had to be killed.
 */
export async function stopProcess(
  rec: PidRecord,
  deadlineMs: number,
): Promise<'stopped' | 'killed' | 'gone'> {
  if (!isAlive(rec)) return 'gone';
  signalGroup(rec, rec.stopSignal);
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (!isAlive(rec)) return 'stopped';
    await sleep(100);
  }
  if (isAlive(rec)) signalGroup(rec, 'SIGKILL');
  for (let i = 0; i < 50 && isAlive(rec); i++) await sleep(100);
  return 'killed';
}

function signalGroup(rec: PidRecord, sig: NodeJS.Signals): void {
  try {
    process.kill(-rec.pid, sig);
  } catch {
    try {
      process.kill(rec.pid, sig);
    } catch {
      // already gone
    }
  }
}

/** Resident set size in MB of a process and all its descendants. */
export function treeRssMb(rootPid: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited while listing
    }
  }
  let kb = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      // exited
    }
    stack.push(...(children.get(pid) ?? []));
  }
  return Math.round(kb / 1024);
}

/** Last `lines` lines of a log file ('' when there is none). */
export function logTail(file: string, lines = 25): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Whether something already listens on 127.0.0.1:port (binding is the only race-free probe). */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(true));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(false)));
  });
}

/**
 * Whether `port` stays taken for `graceMs`: a server that was just killed (a crashed run being
 * recovered) can hold its listening socket for a moment after its pid is gone.
 */
export async function portTakenFor(port: number, graceMs = 3000): Promise<boolean> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    if (!(await portInUse(port))) return false;
    if (Date.now() >= deadline) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function tcpOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.connect(port, '127.0.0.1', () => done(true));
  });
}

export interface RunResult {
  code: number;
  output: string;
}

/**
 * Runs a helper command to completion (an installer, `initdb`, a SQL client), output appended to a
 * log file and kept for the error message. Rejects with a StackError on a non-zero exit.
 */
export function runCommand(
  service: string,
  command: string,
  args: string[],
  opts: {
    logFile: string;
    env?: Record<string, string>;
    cwd?: string;
    uid?: number;
    gid?: number;
    input?: string;
    signal?: AbortSignal;
  },
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const spawnOpts: SpawnOptions = {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    };
    if (opts.cwd) spawnOpts.cwd = opts.cwd;
    if (opts.uid !== undefined) spawnOpts.uid = opts.uid;
    if (opts.gid !== undefined) spawnOpts.gid = opts.gid;
    if (opts.signal) spawnOpts.signal = opts.signal;
    const child = spawn(command, args, spawnOpts);
    let output = '';
    const fd = openSync(opts.logFile, 'a');
    writeFileSync(fd, `\n$ ${command} ${args.join(' ')}\n`);
    const onData = (b: Buffer) => {
      output += b.toString();
      writeFileSync(fd, b);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.stdin?.end(opts.input ?? '');
    child.on('error', (err) => {
      closeSync(fd);
      reject(
        new StackError({
          service,
          message: `cannot run ${command}: ${(err as Error).message}`,
          logFile: opts.logFile,
          cause: err,
        }),
      );
    });
    child.on('close', (code) => {
      closeSync(fd);
      if (code === 0) resolve({ code, output });
      else
        reject(
          new StackError({
            service,
            message: `${command} ${args.slice(0, 4).join(' ')}… exited with ${code}`,
            logFile: opts.logFile,
            logTail: output.trimEnd().split('\n').slice(-25).join('\n'),
          }),
        );
    });
  });
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}
