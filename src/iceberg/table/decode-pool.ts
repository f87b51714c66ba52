/**
 * Parquet decoding off the main thread. parquet-wasm decodes on whichever thread calls it, one file
 * at a time; a full-table read of a few 50,000-row files spent ≈85% of its time inside
 * `readParquet` (zstd and page decoding in WebAssembly; profile in the issue 4 notes), so a scan
 * that reads several files at once only gets faster when the decodes run in parallel. This pool
 * keeps up to `availableParallelism()` worker threads (at most 4), each with its own parquet-wasm
 * instance; a worker turns Parquet bytes into an Arrow IPC stream, whose buffer is transferred back
 * (no copy) for `tableFromIPC` on the caller's thread.
 *
 * Workers start on first use and the decodes asked for meanwhile run inline, so a one-off read
 * never waits for a worker to boot. Small files are always decoded inline (posting them costs more
 * than it saves). Idle workers are `unref`ed and never keep the process alive.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { validationError } from './errors.js';

/** Files below this size are decoded inline. */
export const POOL_MIN_BYTES = 256 * 1024;

/**
 * A Blob-shaped view of `bytes` for parquet-wasm's `ParquetFile.fromFile`, which only calls `size`,
 * `slice` and `arrayBuffer()` on its handle. A real `Blob` costs a copy of the whole file to build,
 * and Node's `Blob.arrayBuffer()` streams and concatenates chunks (≈12% of a projected 1M-row read's
 * CPU profile); this view copies just the byte ranges the reader asks for (the footer and the
 * wanted column chunks). The worker below carries the same function in JavaScript.
 */
export function bytesHandle(bytes: Uint8Array, start = 0, end = bytes.byteLength): Blob {
  const size = end - start;
  const handle = {
    size,
    slice: (a = 0, b = size) => bytesHandle(bytes, start + clamp(a, size), start + clamp(b, size)),
    // A fresh Uint8Array's copy: `bytes.slice` on a Node Buffer would answer a view instead.
    arrayBuffer: async () => new Uint8Array(bytes.buffer, bytes.byteOffset + start, size).slice().buffer,
  };
  return handle as unknown as Blob;
}

function clamp(i: number, size: number): number {
  return i < 0 ? Math.max(0, size + i) : Math.min(i, size);
}

/** The worker: CommonJS source, loading parquet-wasm's Node build from the path it is given. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readParquet, ParquetFile } = require(workerData.parquetWasm);
const clamp = (i, size) => (i < 0 ? Math.max(0, size + i) : Math.min(i, size));
function bytesHandle(bytes, start = 0, end = bytes.byteLength) {
  const size = end - start;
  return {
    size,
    slice: (a = 0, b = size) => bytesHandle(bytes, start + clamp(a, size), start + clamp(b, size)),
    arrayBuffer: async () => new Uint8Array(bytes.buffer, bytes.byteOffset + start, size).slice().buffer,
  };
}
parentPort.on('message', async ({ id, bytes, columns, batchSize }) => {
  let pf;
  try {
    let ipc;
    if (columns) {
      pf = await ParquetFile.fromFile(bytesHandle(bytes));
      ipc = (await pf.read({ columns, batchSize })).intoIPCStream();
    } else ipc = readParquet(bytes, { batchSize }).intoIPCStream();
    parentPort.postMessage({ id, ipc }, [ipc.buffer]);
  } catch (e) {
    parentPort.postMessage({ id, error: String(e) });
  } finally {
    if (pf) pf.free();
  }
});
parentPort.postMessage({ ready: true });
`;

/**
 * A decode that failed because its worker died (crash, out of memory), not because of the file:
 * the caller decodes that file on its own thread instead.
 */
export class WorkerLost extends Error {
  override name = 'WorkerLost';
}

interface Job {
  resolve: (ipc: Uint8Array) => void;
  reject: (e: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  ready: boolean;
  /** Jobs posted and not yet answered. */
  jobs: Map<number, Job>;
}

let workers: PoolWorker[] | undefined;
let nextId = 1;
let disabled = false;

/**
 * Workers in the pool: `LAKEKIT_DECODE_THREADS` when set (0 turns the pool off and decodes every
 * file on the calling thread), else the machine's parallelism, at most 4.
 */
export function poolSize(env: NodeJS.ProcessEnv = process.env): number {
  const set = env.LAKEKIT_DECODE_THREADS;
  if (set !== undefined && set.trim() !== '') {
    const n = Number(set);
    if (!Number.isInteger(n) || n < 0)
      throw validationError(
        'InvalidSetting',
        `LAKEKIT_DECODE_THREADS must be a whole number ≥ 0, got ${JSON.stringify(set)}`,
      );
    return Math.min(n, 16);
  }
  return Math.max(1, Math.min(4, availableParallelism()));
}

function startWorker(): PoolWorker {
  const parquetWasm = createRequire(import.meta.url).resolve('parquet-wasm');
  // No inherited `execArgv`: a loader hook the parent runs under (tsx, a test runner's) would be
  // set up again in every worker, slowing its start for nothing (the source is plain CommonJS).
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { parquetWasm }, execArgv: [] });
  const pw: PoolWorker = { worker, ready: false, jobs: new Map() };
  const fail = (e: Error) => {
    for (const j of pw.jobs.values()) j.reject(e);
    pw.jobs.clear();
    if (workers) workers = workers.filter((w) => w !== pw);
  };
  worker.on('message', (m: { ready?: true; id?: number; ipc?: Uint8Array; error?: string }) => {
    if (m.ready) {
      pw.ready = true;
      return;
    }
    const job = pw.jobs.get(m.id as number);
    if (!job) return;
    pw.jobs.delete(m.id as number);
    if (pw.jobs.size === 0) worker.unref();
    if (m.error !== undefined) job.reject(new Error(m.error));
    else job.resolve(m.ipc as Uint8Array);
  });
  worker.on('error', (e) => fail(new WorkerLost(`Parquet decode worker failed: ${e.message}`)));
  worker.on('exit', (code) => fail(new WorkerLost(`Parquet decode worker exited (code ${code})`)));
  // After the listeners: adding a 'message' listener refs the worker's port again.
  worker.unref();
  return pw;
}

/** The least busy ready worker, starting the pool on first call; undefined while none is ready. */
function pickWorker(): PoolWorker | undefined {
  if (disabled) return undefined;
  if (!workers) {
    const size = poolSize();
    if (size === 0) {
      disabled = true;
      return undefined;
    }
    try {
      workers = Array.from({ length: size }, startWorker);
    } catch {
      disabled = true; // e.g. a runtime without worker_threads eval: decode inline from now on
      return undefined;
    }
  }
  let best: PoolWorker | undefined;
  for (const w of workers) if (w.ready && (!best || w.jobs.size < best.jobs.size)) best = w;
  return best;
}

/**
 * Decodes `bytes` (only the top-level `columns`, when given) to an Arrow IPC stream on a pool
 * worker, or returns undefined when the caller should decode inline (small file, pool still
 * starting, or unavailable). `force` skips the size check (tests).
 */
export function decodeInPool(
  bytes: Uint8Array,
  columns: string[] | undefined,
  batchSize: number,
  force = false,
): Promise<Uint8Array> | undefined {
  if (!force && bytes.byteLength < POOL_MIN_BYTES) return undefined;
  const w = pickWorker();
  if (!w) return undefined;
  const id = nextId++;
  return new Promise<Uint8Array>((resolve, reject) => {
    w.jobs.set(id, { resolve, reject });
    w.worker.ref(); // a pending decode keeps the process alive until it answers
    w.worker.postMessage({ id, bytes, columns, batchSize });
  });
}

/** Whether at least one pool worker has started and can take decodes (tests). */
export async function poolReady(timeoutMs = 10_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (pickWorker()) return true;
    if (disabled) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}
