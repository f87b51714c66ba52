/**
 * What one registration costs on the wire, against a real HTTP server on loopback (not a mock of
 * fetch): one POST per distinct schema with a minimal body, and connections kept alive and reused
 * (the registrations benchmark relies on it — a new TCP connection per registration would show up
 * as client overhead). The server answers like a Confluent-compatible registry.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchemaRegistryClient } from '../../src/registry/index.js';

interface Seen {
  method: string;
  url: string;
  contentType: string | undefined;
  body: string;
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let connections = 0;
const ids = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'],
        body,
      });
      const schema = (JSON.parse(body) as { schema: string }).schema;
      if (!ids.has(schema)) ids.set(schema, ids.size + 1);
      const answer = JSON.stringify({ id: ids.get(schema) });
      res.writeHead(200, {
        'content-type': 'application/vnd.schemaregistry.v1+json',
        'content-length': Buffer.byteLength(answer),
      });
      res.end(answer);
    });
  });
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const schemaOf = (i: number) =>
  JSON.stringify({ type: 'record', name: `R${i}`, fields: [{ name: `f${i}`, type: 'string' }] });

async function inPool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

describe('registerSchema on the wire', () => {
  it('sends one minimal POST per distinct schema and keeps its connections alive', async () => {
    const client = createSchemaRegistryClient({ baseUrl: base });
    const items = Array.from({ length: 60 }, (_, i) => i);
    const got = new Map<number, number>();
    await inPool(items, 4, async (i) => {
      got.set(i, (await client.registerSchema(`subject-${i}`, { schema: schemaOf(i) })).id);
    });

    expect(seen).toHaveLength(60);
    expect(new Set([...got.values()]).size).toBe(60);
    for (const s of seen) {
      expect(s.method).toBe('POST');
      expect(s.url).toMatch(/^\/subjects\/subject-\d+\/versions$/);
      expect(s.contentType).toBe('application/vnd.schemaregistry.v1+json');
      // AVRO is the default: nothing but the schema text goes on the wire.
      expect(Object.keys(JSON.parse(s.body))).toEqual(['schema']);
    }
    // Keep-alive: connections are reused, so sixty registrations need a handful, not sixty. fetch
    // (undici) can open a connection before an answered one is back in its pool, so the bound is
    // two per request in flight rather than one (a bare fetch loop measures 8 here too).
    expect(connections).toBeGreaterThanOrEqual(1);
    expect(connections).toBeLessThanOrEqual(8);

    // The same (subject, schema) again is answered from the cache: nothing more is sent.
    await inPool(items, 4, async (i) => {
      expect((await client.registerSchema(`subject-${i}`, { schema: schemaOf(i) })).id).toBe(got.get(i));
    });
    expect(seen).toHaveLength(60);
  });
});
