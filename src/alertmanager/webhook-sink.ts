/**
 * A small HTTP server that plays an Alertmanager webhook receiver, so tests and tools can assert
 * where alerts were routed. It records every notification (webhook format version "4") with the
 * path it was posted to, lets callers wait for one that matches, answers 400 to payloads that are
 * not that format and keeps running, and closes cleanly — including the keep-alive connections
 * Alertmanager's HTTP client leaves open.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlertmanagerError } from './errors.js';

/** One alert inside a webhook notification. Times are RFC 3339; an unresolved alert has `0001-01-01T00:00:00Z` as `endsAt`. */
export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The body Alertmanager posts to a webhook receiver (format version "4"). */
export interface WebhookPayload {
  version: string;
  groupKey: string;
  /** Alerts left out because of the receiver's `max_alerts`. */
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: WebhookAlert[];
}

/** A recorded notification: the payload plus where and when it arrived. */
export interface WebhookNotification extends WebhookPayload {
  /** Request path it was posted to, e.g. `/hook/critical`. */
  path: string;
  receivedAt: Date;
}

export interface NotificationFilter {
  /** The `receiver` field of the payload. */
  receiver?: string;
  /** Some alert of the payload has this `alertname` label. */
  alertname?: string;
  /** The payload status. */
  status?: 'firing' | 'resolved';
  /** Exact request path. */
  path?: string;
  /** Any further condition. */
  where?: (n: WebhookNotification) => boolean;
}

export interface WaitOptions extends NotificationFilter {
  /** Give up after this many ms (default 10 s) with an error whose `isWaitTimeout()` is true. */
  timeout?: number;
  signal?: AbortSignal;
}

export interface WebhookSinkOptions {
  /** Port to listen on; 0 or unset picks a free one. */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** Largest body accepted (default 10 MiB); bigger ones get 413. */
  maxBodyBytes?: number;
}

export interface WebhookSink {
  /** Base URL, e.g. `http://127.0.0.1:39123`; any path below it is accepted. */
  readonly url: string;
  readonly port: number;
  /** The URL to configure for a receiver: `<url>/hook/<receiver>`. */
  urlFor(receiver: string): string;
  /** Notifications received so far (oldest first), optionally filtered. */
  notifications(filter?: NotificationFilter): WebhookNotification[];
  /** The first notification matching the filter, including ones already received. */
  waitForNotification(options?: WaitOptions): Promise<WebhookNotification>;
  /** Forgets every notification received so far. */
  clear(): void;
  /** Stops listening and closes open connections; pending waits fail. Safe to call twice. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 10 * 1024 * 1024;
const DEFAULT_WAIT_MS = 10_000;

function isStringMap(v: unknown): v is Record<string, string> {
  return (
    !!v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string')
  );
}

/** What is missing or malformed in a webhook body, or undefined when it is a version-4 payload. */
export function webhookPayloadProblem(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the body is not a JSON object';
  const b = body as Record<string, unknown>;
  for (const k of ['version', 'groupKey', 'receiver', 'externalURL'] as const) {
    if (typeof b[k] !== 'string') return `${k} must be a string`;
  }
  if (typeof b.truncatedAlerts !== 'number') return 'truncatedAlerts must be a number';
  if (b.status !== 'firing' && b.status !== 'resolved') return 'status must be "firing" or "resolved"';
  for (const k of ['groupLabels', 'commonLabels', 'commonAnnotations'] as const) {
    if (!isStringMap(b[k])) return `${k} must be an object of strings`;
  }
  if (!Array.isArray(b.alerts)) return 'alerts must be an array';
  for (const [i, a] of (b.alerts as unknown[]).entries()) {
    if (!a || typeof a !== 'object') return `alerts[${i}] must be an object`;
    const alert = a as Record<string, unknown>;
    if (alert.status !== 'firing' && alert.status !== 'resolved')
      return `alerts[${i}].status must be "firing" or "resolved"`;
    if (!isStringMap(alert.labels)) return `alerts[${i}].labels must be an object of strings`;
    if (!isStringMap(alert.annotations)) return `alerts[${i}].annotations must be an object of strings`;
    for (const k of ['startsAt', 'endsAt', 'generatorURL', 'fingerprint']) {
      if (typeof alert[k] !== 'string') return `alerts[${i}].${k} must be a string`;
    }
  }
  return undefined;
}

function matches(n: WebhookNotification, f: NotificationFilter): boolean {
  if (f.receiver !== undefined && n.receiver !== f.receiver) return false;
  if (f.status !== undefined && n.status !== f.status) return false;
  if (f.path !== undefined && n.path !== f.path) return false;
  if (f.alertname !== undefined && !n.alerts.some((a) => a.labels.alertname === f.alertname)) return false;
  return f.where ? f.where(n) : true;
}

function describeFilter(f: NotificationFilter): string {
  const parts = (['receiver', 'alertname', 'status', 'path'] as const)
    .filter((k) => f[k] !== undefined)
    .map((k) => `${k}=${JSON.stringify(f[k])}`);
  if (f.where) parts.push('where(…)');
  return parts.length ? parts.join(' ') : 'any';
}

interface Waiter {
  filter: NotificationFilter;
  resolve(n: WebhookNotification): void;
  reject(e: Error): void;
}

/** Starts the sink; resolves once it is listening. */
export async function startWebhookSink(options: WebhookSinkOptions = {}): Promise<WebhookSink> {
  const host = options.host ?? '127.0.0.1';
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const received: WebhookNotification[] = [];
  const waiters = new Set<Waiter>();

  const reply = (res: ServerResponse, status: number, message?: string) => {
    const body = message ? `${message}\n` : '';
    res.writeHead(status, {
      'content-length': Buffer.byteLength(body),
      ...(message ? { 'content-type': 'text/plain; charset=utf-8' } : {}),
    });
    res.end(body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      reply(res, 405, 'only POST is accepted');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBody) tooBig = true;
      else chunks.push(chunk);
    });
    req.on('error', () => {
      if (!res.headersSent) reply(res, 400, 'request body could not be read');
    });
    req.on('end', () => {
      if (tooBig) {
        reply(res, 413, `body larger than ${maxBody} bytes`);
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        reply(res, 400, `malformed JSON: ${(e as Error).message}`);
        return;
      }
      const problem = webhookPayloadProblem(body);
      if (problem) {
        reply(res, 400, `not an Alertmanager webhook payload: ${problem}`);
        return;
      }
      const n: WebhookNotification = {
        ...(body as WebhookPayload),
        path: new URL(req.url ?? '/', 'http://sink').pathname,
        receivedAt: new Date(),
      };
      received.push(n);
      reply(res, 200);
      for (const w of [...waiters]) {
        if (matches(n, w.filter)) w.resolve(n);
      }
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost =
    host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    port,
    urlFor: (receiver) => `${url}/hook/${encodeURIComponent(receiver)}`,
    notifications: (filter = {}) => received.filter((n) => matches(n, filter)),
    clear: () => {
      received.length = 0;
    },
    waitForNotification(opts = {}) {
      const { timeout = DEFAULT_WAIT_MS, signal, ...filter } = opts;
      const already = received.find((n) => matches(n, filter));
      if (already) return Promise.resolve(already);
      const what = describeFilter(filter);
      if (closing) {
        return Promise.reject(
          new AlertmanagerError({
            message: `webhook sink is closed; no notification ${what}`,
            kind: 'aborted',
          }),
        );
      }
      if (signal?.aborted) {
        return Promise.reject(
          new AlertmanagerError({
            message: `wait for notification ${what} aborted`,
            kind: 'aborted',
            cause: signal.reason,
          }),
        );
      }
      return new Promise<WebhookNotification>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          waiters.delete(waiter);
        };
        const waiter: Waiter = {
          filter,
          resolve: (n) => {
            done();
            resolve(n);
          },
          reject: (e) => {
            done();
            reject(e);
          },
        };
        const timer = setTimeout(() => {
          const seen = received.map(
            (n) => `${n.receiver}/${n.status}/${n.alerts.map((a) => a.labels.alertname).join(',')}`,
          );
          waiter.reject(
            new AlertmanagerError({
              message:
                `no webhook notification ${what} within ${timeout} ms` +
                ` (${received.length} received${seen.length ? `: ${seen.slice(-10).join('; ')}` : ''})`,
              kind: 'wait-timeout',
            }),
          );
        }, timeout);
        const onAbort = () =>
          waiter.reject(
            new AlertmanagerError({
              message: `wait for notification ${what} aborted`,
              kind: 'aborted',
              cause: signal?.reason,
            }),
          );
        signal?.addEventListener('abort', onAbort, { once: true });
        waiters.add(waiter);
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const w of [...waiters]) {
          w.reject(
            new AlertmanagerError({
              message: `webhook sink closed while waiting for a notification ${describeFilter(w.filter)}`,
              kind: 'aborted',
            }),
          );
        }
        server.close(() => resolve());
        // Alertmanager reuses connections; without this close() would wait for their idle timeout.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
