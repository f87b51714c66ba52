/**
 * Fault handling of `startStack` (issues 11 and 13), against real processes in throw-away state
 * dirs on their own port bases, so the shared stack is never touched: a taken port, a server that
 * dies during start, a stale pid file from a killed run, and `stop()` leaving nothing behind.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { StackError, stackStatus, startStack, UnknownServiceError } from '../../src/stack/index.js';
import { isAlive, type PidRecord, portInUse } from '../../src/stack/proc.js';
import { describeLive } from '../support/live.js';

const dirs: string[] = [];
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lakekit-stack-fault-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function pidOf(dir: string, service: string): PidRecord {
  return JSON.parse(readFileSync(join(dir, service, 'pid.json'), 'utf8')) as PidRecord;
}

describeLive(['s3', 'alertmanager', 'postgres'], 'stack faults', () => {
  it('rejects an unknown service with the valid names, before starting anything', async () => {
    const dir = stateDir();
    const err = await startStack({ services: ['s3', 'minio'], stateDir: dir, quiet: true }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UnknownServiceError);
    expect((err as UnknownServiceError).validNames).toContain('s3');
  });

  it('names the service and port when a port is taken, and leaves nothing running', async () => {
    const dir = stateDir();
    const base = 19620;
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(base, '127.0.0.1', r));
    try {
      const err = await startStack({
        services: ['s3', 'alertmanager'],
        stateDir: dir,
        portBase: base,
        quiet: true,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StackError);
      expect((err as StackError).service).toBe('s3');
      expect((err as StackError).message).toContain(`port ${base}`);
    } finally {
      blocker.close();
    }
    const rows = await stackStatus({ stateDir: dir });
    expect(rows.filter((r) => r.state !== 'stopped')).toEqual([]);
    expect(await portInUse(base + 9)).toBe(false);
  });

  it('reports a server that dies during start with its log, and stops the others', async () => {
    const dir = stateDir();
    // A broken data directory (impossible version, mode 0755): initdb is skipped and the server exits.
    mkdirSync(join(dir, 'postgres', 'data'), { recursive: true });
    writeFileSync(join(dir, 'postgres', 'data', 'PG_VERSION'), '99\n');
    writeFileSync(join(dir, 'postgres', 'data', 'postgresql.conf'), '');
    const err = await startStack({
      services: ['postgres', 'alertmanager'],
      stateDir: dir,
      portBase: 19640,
      quiet: true,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackError);
    const e = err as StackError;
    expect(e.service).toBe('postgres');
    expect(e.logFile).toBe(join(dir, 'logs', 'postgres.log'));
    expect(e.logTail).toMatch(/FATAL: /);
    expect(e.message).toContain('exited during start');
    const rows = await stackStatus({ stateDir: dir });
    expect(rows.filter((r) => r.state !== 'stopped')).toEqual([]);
    expect(await portInUse(19649)).toBe(false);
  });

  it('recovers from a stale pid file of a killed run, attaches with reuse, and stop() leaves no process', async () => {
    const dir = stateDir();
    const first = await startStack({
      services: ['alertmanager'],
      stateDir: dir,
      portBase: 19660,
      quiet: true,
    });
    const killed = pidOf(dir, 'alertmanager');
    process.kill(killed.pid, 'SIGKILL');
    await expect.poll(() => isAlive(killed), { timeout: 5000 }).toBe(false);
    first.detach();

    const second = await startStack({
      services: ['alertmanager'],
      stateDir: dir,
      portBase: 19660,
      quiet: true,
    });
    const fresh = pidOf(dir, 'alertmanager');
    expect(fresh.pid).not.toBe(killed.pid);
    expect(second.started).toEqual(['alertmanager']);

    const attached = await startStack({
      services: ['alertmanager'],
      stateDir: dir,
      reuse: true,
      quiet: true,
    });
    expect(attached.attached).toEqual(['alertmanager']);
    expect(attached.started).toEqual([]);
    await attached.stop();
    expect(isAlive(fresh)).toBe(true);

    await second.stop();
    await second.stop();
    expect(isAlive(fresh)).toBe(false);
    expect(await portInUse(19669)).toBe(false);
  });
});
