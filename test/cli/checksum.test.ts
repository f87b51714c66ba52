import { describe, expect, it } from 'vitest';
import { canonicalValue, RowChecksum } from '../../src/cli/checksum.js';

const sumOf = (rows: Record<string, unknown>[], cols = ['id', 'name', 'amount']) => {
  const c = new RowChecksum(cols);
  for (const r of rows) c.add(r);
  return c;
};

describe('RowChecksum', () => {
  const rows = [
    { id: 1, name: 'ada', amount: '10.50' },
    { id: 2, name: 'bob', amount: '3.00' },
    { id: 3, name: null, amount: '0.10' },
  ];

  it('does not depend on row order', () => {
    expect(sumOf(rows).hex).toBe(sumOf([...rows].reverse()).hex);
    expect(sumOf(rows).count).toBe(3);
  });

  it('treats numeric renderings of the same decimal as equal across engines', () => {
    const parquetSide = [
      { id: 1n, name: 'ada', amount: 10.5 },
      { id: 2n, name: 'bob', amount: '3' },
      { id: 3n, name: undefined, amount: '0.1' },
    ];
    expect(sumOf(parquetSide).hex).toBe(sumOf(rows).hex);
  });

  it('changes when a value, a row or a duplicate differs', () => {
    const base = sumOf(rows).hex;
    expect(sumOf([...rows.slice(0, 2), { id: 3, name: 'x', amount: '0.10' }]).hex).not.toBe(base);
    expect(sumOf(rows.slice(0, 2)).hex).not.toBe(base);
    // XOR would cancel a pair of duplicates; the sum must not.
    const dup = sumOf([...rows, rows[0]!, rows[0]!]);
    expect(dup.hex).not.toBe(base);
  });

  it('renders values canonically', () => {
    expect(canonicalValue(null)).toBe('\\N');
    expect(canonicalValue(new Date('2024-01-02T03:04:05Z'))).toBe('2024-01-02T03:04:05.000Z');
    expect(canonicalValue(new Uint8Array([1, 255]))).toBe('\\x01ff');
    expect(canonicalValue('-0.000')).toBe('0');
    expect(canonicalValue({ b: 1, a: [true, null] })).toBe('{a:[true,\\N],b:1}');
  });
});
