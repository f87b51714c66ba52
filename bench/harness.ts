/**
 * The benchmark harness: timing (min and median over repetitions after a warm-up, lakekit and its
 * peer interleaved so a slow spell on the shared machine hits both alike), peak RSS per case (the
 * kernel's VmHWM, reset before each case through /proc/self/clear_refs), a Python peer run as a
 * long-lived child that times each call itself (so interpreter start-up and imports are reported
 * apart, never hidden in the times), seeded data generators, and the result type that
 * `bench/run.ts` turns into results.json and RESULTS.md.
 */

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';

/** Times in milliseconds; `rssMB` is the process's peak resident set during the case. */
export interface Timing {
  min: number;
  median: number | null;
  rssMB: number | null;
}

export interface PeerTiming extends Timing {
  name: string;
}

/** One row of the report. `ratio` is lakekit/peer on times: below 1 means lakekit is faster. */
export interface BenchResult {
  case: string;
  lakekit: Timing;
  peer: PeerTiming;
  ratio: number;
  /** The goal from the issue that owns the feature, on `ratio` unless `goal.on` says otherwise. */
  goal?: Goal;
  /** Other implementations measured in the same run (e.g. hyparquet beside parquet-wasm). */
  alternatives?: PeerTiming[];
  note?: string;
  /** Where the figure came from: `bench/run.ts` measured it, or another bench script printed it. */
  source: string;
  /** Repetitions behind min/median (1 when the source prints a single or best-of figure). */
  reps: number;
}

export interface Goal {
  text: string;
  met: boolean;
}

/** A goal "ratio ≤ max", the usual form ("within 1.5× of", "≥ 2× faster" is ≤ 0.5). */
export function ratioGoal(ratio: number, max: number, text: string): Goal {
  return { text, met: ratio <= max };
}

export const ROOT = join(import.meta.dirname, '..');

/** `.stack/env` (written by `npm run stack:up`) under the process environment, which wins. */
export function stackEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const file = join(ROOT, '.stack', 'env');
  if (existsSync(file))
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
      if (m) env[m[1] as string] = m[2] as string;
    }
  for (const [k, v] of Object.entries(process.env)) if (k.startsWith('LAKEKIT_') && v) env[k] = v;
  return env;
}

/** The stack's Python (with pyarrow, deltalake, pyiceberg), or undefined when there is none. */
export function pythonPath(): string | undefined {
  const p = stackEnv().LAKEKIT_PYTHON;
  return p && existsSync(p) ? p : undefined;
}

/** Benchmark data that takes long to write is kept here across runs, keyed by its parameters. */
export const CACHE_DIR = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'lakekit', 'bench');

// ---------------------------------------------------------------- peak RSS

function statusField(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

let peakResettable: boolean | undefined;

/**
 * Starts a new peak-RSS window for this process. Writing 5 to clear_refs resets VmHWM to the
 * current RSS (Linux ≥ 4.0); garbage is collected first when `--expose-gc` is on, so the window
 * does not start with the previous case's dead objects. Answers whether the reset worked.
 */
export function resetPeakRss(): boolean {
  (globalThis as { gc?: () => void }).gc?.();
  if (peakResettable === false) return false;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    peakResettable = true;
  } catch {
    peakResettable = false;
  }
  return peakResettable;
}

/** This process's peak RSS in MB since the last `resetPeakRss()` (or since start). */
export function peakRssMB(): number | null {
  return statusField('self', 'VmHWM') ?? process.resourceUsage().maxRSS / 1024;
}

// ---------------------------------------------------------------- timing

export interface MeasureOptions {
  reps: number;
  warmup: number;
}

export interface Sampled extends Timing {
  name: string;
  samples: number[];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function summarize(name: string, samples: number[], rssMB: number | null): Sampled {
  return { name, samples, min: Math.min(...samples), median: median(samples), rssMB };
}

/** Times `fn` alone in this process: warm-ups, then `reps` timed calls; peak RSS over them all. */
export async function measure(
  name: string,
  fn: () => unknown | Promise<unknown>,
  { reps, warmup }: MeasureOptions,
): Promise<Sampled> {
  resetPeakRss();
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarize(name, samples, peakRssMB());
}

/**
 * One contender of a side-by-side case. `run` answers the elapsed ms of one repetition (timed by
 * the contender itself: in-process with `timed`, or inside Python), `peakRssMB` is read after all
 * repetitions, `resetPeak` opens the RSS window. `check` is the repetition's result (e.g. a row
 * count), compared across contenders so a fast wrong answer cannot win.
 */
export interface Contender {
  name: string;
  run(): Promise<{ ms: number; check?: unknown }>;
  resetPeak(): Promise<void> | void;
  peakRssMB(): Promise<number | null> | number | null;
}

/** A contender running in this process. */
export function inProcess(name: string, fn: () => unknown | Promise<unknown>): Contender {
  return {
    name,
    async run() {
      const t0 = performance.now();
      const check = await fn();
      return { ms: performance.now() - t0, check };
    },
    resetPeak: () => {
      resetPeakRss();
    },
    peakRssMB,
  };
}

/**
 * Runs the contenders in interleaved rounds (warm-ups first, each contender once per round, the
 * order rotating each round) and answers min/median/peak RSS per contender, in the order given.
 * In-process contenders share one RSS window, so give a case at most one of them, or accept that
 * their peaks are the larger of the two.
 */
export async function sideBySide(
  contenders: Contender[],
  { reps, warmup }: MeasureOptions,
): Promise<Sampled[]> {
  for (const c of contenders) await c.resetPeak();
  const checks = new Map<string, unknown>();
  for (let w = 0; w < warmup; w++) for (const c of contenders) checks.set(c.name, (await c.run()).check);
  const samples = contenders.map(() => [] as number[]);
  for (let r = 0; r < reps; r++)
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + r) % contenders.length;
      const out = await (contenders[i] as Contender).run();
      (samples[i] as number[]).push(out.ms);
      checks.set((contenders[i] as Contender).name, out.check);
    }
  const seen = [...checks.entries()].filter(([, v]) => v !== undefined);
  const first = seen[0];
  for (const [name, v] of seen)
    if (first && JSON.stringify(v) !== JSON.stringify(first[1]))
      throw new Error(
        `contenders disagree: ${first[0]} answered ${JSON.stringify(first[1])}, ${name} ${JSON.stringify(v)}`,
      );
  const out: Sampled[] = [];
  for (const [i, c] of contenders.entries())
    out.push(summarize(c.name, samples[i] as number[], await c.peakRssMB()));
  return out;
}

/** Builds a result row from a lakekit measurement and its peer's. */
export function result(
  name: string,
  lakekit: Sampled,
  peer: Sampled,
  extra: Partial<Pick<BenchResult, 'alternatives' | 'note'>> & { goalMax?: number; goalText?: string } = {},
): BenchResult {
  const ratio = (lakekit.median ?? lakekit.min) / (peer.median ?? peer.min);
  const strip = (s: Sampled): Timing => ({ min: s.min, median: s.median, rssMB: s.rssMB });
  const r: BenchResult = {
    case: name,
    lakekit: strip(lakekit),
    peer: { name: peer.name, ...strip(peer) },
    ratio,
    source: 'bench/run.ts',
    reps: lakekit.samples.length,
  };
  if (extra.goalMax !== undefined)
    r.goal = ratioGoal(ratio, extra.goalMax, extra.goalText ?? `≤ ${extra.goalMax}×`);
  if (extra.alternatives) r.alternatives = extra.alternatives;
  if (extra.note) r.note = extra.note;
  return r;
}

// ---------------------------------------------------------------- Python peer

/**
 * The driver run by the child: notes the wall clock at its first line (so start-up is
 * spawn→first line, measured by us), runs the case's setup code (imports, timed apart), then
 * answers one JSON line per request: `run` calls a named function and times it with perf_counter,
 * `reset` opens a new peak-RSS window, `peak` reports VmHWM.
 */
const DRIVER = `
import time
T0 = time.time()
import json, sys
def _field(name):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(name + ':'):
                return int(line.split()[1]) / 1024
def _reset():
    import gc; gc.collect()
    try:
        with open('/proc/self/clear_refs', 'w') as f: f.write('5')
        return True
    except OSError:
        return False
t = time.perf_counter()
ns = {'__name__': 'bench_peer'}
exec(sys.argv[1], ns)
setup_ms = (time.perf_counter() - t) * 1000
print(json.dumps({'ready': True, 't0': T0, 'setupMs': setup_ms, 'version': sys.version.split()[0]}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    op = req['op']
    if op == 'run':
        fn = ns[req['fn']]
        args = req.get('args', [])
        t = time.perf_counter()
        check = fn(*args)
        ms = (time.perf_counter() - t) * 1000
        print(json.dumps({'ms': ms, 'check': check}), flush=True)
    elif op == 'reset':
        print(json.dumps({'ok': _reset()}), flush=True)
    elif op == 'peak':
        print(json.dumps({'mb': _field('VmHWM')}), flush=True)
    elif op == 'exit':
        break
`;

export interface PythonPeer {
  /** spawn → the driver's first line: interpreter start-up, not in any time. */
  startupMs: number;
  /** The setup code (imports of pyarrow, deltalake …), not in any time. */
  setupMs: number;
  version: string;
  /** A contender calling the Python function `fn(*args)`; its return value is the check. */
  contender(name: string, fn: string, args?: unknown[]): Contender;
  call<T = unknown>(fn: string, args?: unknown[]): Promise<{ ms: number; check: T }>;
  close(): Promise<void>;
}

/** Starts a Python peer with `setup` (Python source defining the functions to time). */
export async function startPython(setup: string, python = pythonPath()): Promise<PythonPeer> {
  if (!python) throw new Error('no Python peer: set LAKEKIT_PYTHON or start the stack (npm run stack:up)');
  const spawnedAt = performance.timeOrigin + performance.now();
  const child: ChildProcessWithoutNullStreams = spawn(python, ['-u', '-c', DRIVER, setup], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const lines: Interface = createInterface({ input: child.stdout });
  const iter = lines[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const { value, done } = await iter.next();
    if (done) throw new Error(`Python peer exited (code ${child.exitCode}): ${stderr.trim()}`);
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  const ask = async (req: object): Promise<Record<string, unknown>> => {
    child.stdin.write(`${JSON.stringify(req)}\n`);
    return next();
  };
  const ready = await next();
  const peer: PythonPeer = {
    startupMs: (ready.t0 as number) * 1000 - spawnedAt,
    setupMs: ready.setupMs as number,
    version: ready.version as string,
    async call<T>(fn: string, args: unknown[] = []) {
      const r = await ask({ op: 'run', fn, args });
      return { ms: r.ms as number, check: r.check as T };
    },
    contender(name, fn, args = []) {
      return {
        name,
        run: () => peer.call(fn, args),
        resetPeak: async () => {
          await ask({ op: 'reset' });
        },
        peakRssMB: async () => (await ask({ op: 'peak' })).mb as number,
      };
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.write(`${JSON.stringify({ op: 'exit' })}\n`);
      child.stdin.end();
      await exited;
    },
  };
  return peer;
}

// ---------------------------------------------------------------- data

/** A seeded PRNG (mulberry32): the same seed gives the same data on every machine and run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` distinct Avro record schemas (distinct names and field sets), reproducible from `seed`. */
export function distinctAvroSchemas(n: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  const types = ['string', 'long', 'int', 'double', 'boolean', 'bytes'];
  return Array.from({ length: n }, (_, i) => {
    const fields = Array.from({ length: 3 + Math.floor(rnd() * 6) }, (_, j) => ({
      name: `f${j}_${Math.floor(rnd() * 1e9).toString(36)}`,
      type: types[Math.floor(rnd() * types.length)] as string,
    }));
    return JSON.stringify({ type: 'record', name: `Bench${i}`, namespace: 'lakekit.bench', fields });
  });
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight. */
export async function pool<T>(
  items: T[],
  concurrency: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
