/**
 * The registry client's caches: a bounded map with least-recently-used eviction that also shares
 * one in-flight load per key, so concurrent callers asking for the same schema id cause a single
 * HTTP request. Failed loads are not cached. Each caller keeps its own AbortSignal: aborting one
 * waiter rejects only that waiter, and the shared request is aborted only when every waiter left.
 */
import { raceSignal } from '../http/retry.js';

/** Thrown to a waiter whose own signal fired; the client turns it into its `aborted` error. */
export class WaiterAbortedError extends Error {
  override name = 'WaiterAbortedError';
}

interface Flight<V> {
  promise: Promise<V>;
  controller: AbortController;
  waiters: number;
}

export class SingleFlightCache<K, V> {
  private readonly values = new Map<K, V>();
  private readonly flights = new Map<K, Flight<V>>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.values.size;
  }

  /** A cached value, refreshed as most recently used. */
  peek(key: K): V | undefined {
    const v = this.values.get(key);
    if (v !== undefined) {
      this.values.delete(key);
      this.values.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    if (this.maxEntries <= 0) return;
    this.values.delete(key);
    this.values.set(key, value);
    while (this.values.size > this.maxEntries) {
      const oldest = this.values.keys().next();
      if (oldest.done) break;
      this.values.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.values.delete(key);
    this.flights.delete(key);
  }

  /** Removes every cached value whose key matches (in-flight loads are left to finish). */
  deleteWhere(match: (key: K) => boolean): void {
    for (const k of [...this.values.keys()]) if (match(k)) this.values.delete(k);
    for (const k of [...this.flights.keys()]) if (match(k)) this.flights.delete(k);
  }

  clear(): void {
    this.values.clear();
    this.flights.clear();
  }

  /**
   * The cached value, or the result of `load` — started once per key however many callers wait.
   * `load` gets a signal that aborts only when all waiters have aborted.
   */
  async getOrLoad(key: K, load: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V> {
    const cached = this.peek(key);
    if (cached !== undefined) return cached;
    let flight = this.flights.get(key);
    if (!flight) {
      const controller = new AbortController();
      const started: Flight<V> = {
        controller,
        waiters: 0,
        promise: load(controller.signal).then(
          (value) => {
            // A flight forgotten meanwhile (its subject was deleted) must not write its answer back.
            if (this.flights.get(key) === started) {
              this.flights.delete(key);
              this.set(key, value);
            }
            return value;
          },
          (err: unknown) => {
            if (this.flights.get(key) === started) this.flights.delete(key);
            throw err;
          },
        ),
      };
      // Every waiter may have left by the time the load fails; keep that rejection handled.
      started.promise.catch(() => undefined);
      flight = started;
      this.flights.set(key, flight);
    }
    return this.wait(key, flight, signal);
  }

  private wait(key: K, flight: Flight<V>, signal?: AbortSignal): Promise<V> {
    if (!signal) {
      flight.waiters++;
      return flight.promise;
    }
    if (signal.aborted) return Promise.reject(new WaiterAbortedError('aborted by the caller'));
    flight.waiters++;
    return raceSignal(flight.promise, signal, () => {
      flight.waiters--;
      if (flight.waiters === 0) {
        // Nobody wants the answer any more: cancel it, and let the next caller start afresh.
        if (this.flights.get(key) === flight) this.flights.delete(key);
        flight.controller.abort(signal.reason);
      }
      return new WaiterAbortedError('aborted by the caller');
    });
  }
}
