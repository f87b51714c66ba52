/** Isolation ids: unique, valid in every system that uses them, and stable in shape. */
import { describe, expect, it } from 'vitest';
import { isolationId } from '../../src/stack/isolate.js';

describe('isolationId', () => {
  it('slugs the name (first 20 characters) and adds worker, time and randomness', () => {
    expect(isolationId('Orders CDC: insert/update!', '3', 36 ** 5, 0.5)).toBe(
      'lk_orders_cdc_insert_up_w3_100000_i000',
    );
  });
  it('is a valid SQL identifier, Kafka topic and MariaDB name of bounded length', () => {
    const id = isolationId('x'.repeat(200), '12345678', Date.now(), 0.999999);
    expect(id).toMatch(/^lk_[a-z0-9_]+$/);
    expect(id.length).toBeLessThanOrEqual(48);
  });
  it('differs between two calls for the same test in the same millisecond', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 50 }, () => isolationId('same', '1', now)));
    expect(ids.size).toBeGreaterThan(45);
  });
  it('differs between workers', () => {
    expect(isolationId('t', '1', 1, 0.1)).not.toBe(isolationId('t', '2', 1, 0.1));
  });
  it('falls back to a usable name for an empty or symbol-only test name', () => {
    expect(isolationId('!!!', '0', 1, 0)).toBe('lk_test_w0_1_0000');
  });
});
