/**
 * Stack start-up benchmark (issues 11 and 13), run with `npm run bench:stack [-- reuse iceberg all]`.
 * Measures, from a warm download cache:
 *   reuse    time for `startStack({ reuse: true })` to attach to the running stack (time to first test);
 *   iceberg  a fresh S3 + Iceberg catalog in a new state dir;
 *   all      every service in a new state dir (fresh data dirs: initdb, KRaft format included),
 *            with per-service ready seconds and the summed RSS.
 * Fresh stacks use their own state dir and port base, so a running `npm run stack:up` is untouched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatStatusTable, startStack } from '../src/stack/index.js';

const wanted = new Set(process.argv.slice(2).filter((a) => !a.startsWith('-')));
const run = (name: string) => wanted.size === 0 || wanted.has(name);

async function fresh(label: string, services: string[], portBase: number): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), `lakekit-bench-${label}-`));
  const t0 = performance.now();
  const stack = await startStack({ services, stateDir, portBase, quiet: true });
  const seconds = (performance.now() - t0) / 1000;
  try {
    const rows = await stack.status();
    console.log(
      `\n${label}: ${services.join(', ')} fresh in ${seconds.toFixed(1)} s (state dir ${stateDir})`,
    );
    console.log(formatStatusTable(rows));
  } finally {
    const s0 = performance.now();
    await stack.stop();
    console.log(`stopped in ${((performance.now() - s0) / 1000).toFixed(1)} s`);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (run('reuse')) {
  const t0 = performance.now();
  try {
    const stack = await startStack({ reuse: true, quiet: true, stopOnSignal: false });
    const ms = performance.now() - t0;
    const rows = await stack.status();
    console.log(
      `reuse: attached to ${stack.attached.length} running services in ${ms.toFixed(0)} ms (goal < 1000 ms)`,
    );
    console.log(formatStatusTable(rows));
    stack.detach();
  } catch (err) {
    console.log(
      `reuse: no running stack to attach to (${(err as Error).message.split('\n')[0]}); run npm run stack:up first`,
    );
  }
}
if (run('iceberg')) await fresh('iceberg', ['iceberg'], 19400);
if (run('all')) await fresh('all', ['all'], 19500);
