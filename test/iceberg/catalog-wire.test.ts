import { describe, expect, it } from 'vitest';
import {
  IcebergError,
  isCommitRequest,
  parseCatalogJson,
  parseIcebergErrorBody,
  sameId,
  stringifyCatalogJson,
  uuidv7,
} from '../../src/iceberg/index.js';

describe('catalog JSON keeps 64-bit integers exact', () => {
  it('parses integers beyond 2^53 as bigint and leaves safe numbers alone', () => {
    const v = parseCatalogJson<{ a: unknown; b: unknown; c: unknown[]; d: unknown }>(
      '{"a":3051729675574597004,"b":42,"c":[-9007199254740993,1.5],"d":"3051729675574597004"}',
    );
    expect(v.a).toBe(3051729675574597004n);
    expect(v.b).toBe(42);
    expect(v.c).toEqual([-9007199254740993n, 1.5]);
    expect(v.d).toBe('3051729675574597004');
    expect(parseCatalogJson('')).toBeUndefined();
  });

  it('writes bigint values as plain JSON numbers that parse back to the same value', () => {
    const text = stringifyCatalogJson({ id: 8744736658442914487n, small: 7, list: [1n, 2] });
    expect(text).toBe('{"id":8744736658442914487,"small":7,"list":[1,2]}');
    expect(parseCatalogJson<{ id: bigint }>(text).id).toBe(8744736658442914487n);
  });

  it('compares ids whether they arrived as number or bigint', () => {
    expect(sameId(42, 42n)).toBe(true);
    expect(sameId(3051729675574597004n, 3051729675574597004n)).toBe(true);
    expect(sameId(3051729675574597004n, 3051729675574597005n)).toBe(false);
    expect(sameId(null, undefined)).toBe(false);
    expect(sameId(null, null)).toBe(true);
  });
});

describe('uuidv7 for Idempotency-Key', () => {
  it('puts the millisecond timestamp first and sets version 7 and the RFC 9562 variant', () => {
    const at = Date.UTC(2026, 10, 25, 12, 0, 0);
    const id = uuidv7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)).toBe(at);
    expect(uuidv7(at)).not.toBe(id);
  });
});

describe('Iceberg error bodies and commit detection', () => {
  it('takes the exception name as the code, and reads OAuth2 errors too', () => {
    expect(
      parseIcebergErrorBody({
        error: { message: 'Table does not exist: db.t', type: 'NoSuchTableException', code: 404 },
      }),
    ).toEqual({ message: 'Table does not exist: db.t', code: 'NoSuchTableException' });
    expect(parseIcebergErrorBody({ error: 'invalid_client', error_description: 'bad client' })).toEqual({
      code: 'invalid_client',
      message: 'bad client',
    });
    expect(parseIcebergErrorBody('<html>oops</html>')).toEqual({});
  });

  it('recognises commit requests by method and path shape', () => {
    expect(isCommitRequest('POST', '/v1/namespaces/db/tables/t')).toBe(true);
    expect(isCommitRequest('POST', '/v1/ws/namespaces/a\u001fb/views/v')).toBe(true);
    expect(isCommitRequest('POST', '/v1/ws/transactions/commit')).toBe(true);
    expect(isCommitRequest('POST', '/v1/transactions/commit')).toBe(true);
    expect(isCommitRequest('GET', '/v1/namespaces/db/tables/t')).toBe(false);
    expect(isCommitRequest('POST', '/v1/namespaces/db/tables')).toBe(false);
    expect(isCommitRequest('POST', '/v1/namespaces/db/tables/t/metrics')).toBe(false);
    expect(isCommitRequest('POST', '/v1/namespaces/db/tables/t/plan')).toBe(false);
    expect(isCommitRequest('POST', '/v1/tables/rename')).toBe(false);
  });

  it('never calls an unknown commit state a failure, and does not guess for non-commits', () => {
    const unknown = new IcebergError({ message: 'x', kind: 'http', status: 504, commit: true });
    expect(unknown.isCommitStateUnknown()).toBe(true);
    expect(unknown.isCommitFailed()).toBe(false);
    const typed = new IcebergError({
      message: 'x',
      kind: 'http',
      status: 409,
      code: 'CommitStateUnknownException',
    });
    expect(typed.isCommitStateUnknown()).toBe(true);
    expect(typed.isCommitFailed()).toBe(false);
    const lost = new IcebergError({ message: 'x', kind: 'network', commit: true });
    expect(lost.isCommitStateUnknown()).toBe(true);
    const readFailed = new IcebergError({ message: 'x', kind: 'http', status: 500 });
    expect(readFailed.isCommitStateUnknown()).toBe(false);
    const conflict = new IcebergError({ message: 'x', kind: 'http', status: 409, commit: true });
    expect(conflict.isCommitFailed()).toBe(true);
    expect(conflict.toJSON()).toMatchObject({ commit: true, status: 409 });
  });
});
