/** Dependency resolution and port layout of the stack catalogue (pure, no processes). */
import { describe, expect, it } from 'vitest';
import { DEPENDENCIES, portsFrom, resolveServices, SERVICE_NAMES } from '../../src/stack/catalog.js';
import { UnknownServiceError } from '../../src/stack/errors.js';

describe('resolveServices', () => {
  it('adds s3 for iceberg, and nothing else', () => {
    expect(resolveServices(['iceberg'])).toEqual(['s3', 'iceberg']);
  });
  it('adds kafka for connect but not the databases', () => {
    expect(resolveServices(['connect'])).toEqual(['kafka', 'connect']);
  });
  it('starts the registry alone', () => {
    expect(resolveServices(['registry'])).toEqual(['registry']);
  });
  it('puts dependencies before dependents whatever the request order', () => {
    const order = resolveServices(['connect', 'iceberg', 'python-spark']);
    for (const s of order)
      for (const d of DEPENDENCIES[s]) expect(order.indexOf(d)).toBeLessThan(order.indexOf(s));
    expect(new Set(order)).toEqual(new Set(['kafka', 'connect', 's3', 'iceberg', 'python', 'python-spark']));
  });
  it('treats an empty request as all services except the Spark extra', () => {
    const all = resolveServices([]);
    expect(all).toHaveLength(SERVICE_NAMES.length - 1);
    expect(all).not.toContain('python-spark');
  });
  it('expands groups and removes duplicates', () => {
    expect(resolveServices(['delta', 's3', 'mysql'])).toEqual(['s3', 'mariadb', 'python']);
  });
  it('rejects unknown names with a typed error that lists the valid ones', () => {
    let err: unknown;
    try {
      resolveServices(['iceberg', 'minio', 'zookeeper']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownServiceError);
    const u = err as UnknownServiceError;
    expect(u.unknown).toEqual(['minio', 'zookeeper']);
    expect(u.validNames).toContain('iceberg');
    expect(u.message).toContain('"minio"');
    expect(u.kind).toBe('validation');
  });
});

describe('portsFrom', () => {
  it('gives every port a distinct number from the base', () => {
    const ports = portsFrom(20000);
    const values = Object.values(ports);
    expect(new Set(values).size).toBe(values.length);
    expect(Math.min(...values)).toBe(20000);
    expect(ports.kafka).toBe(20004);
  });
});
