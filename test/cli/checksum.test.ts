import {
  type DataType,
  DateDay,
  Decimal,
  Float32,
  Int32,
  makeData,
  makeVector,
  Table,
  TimeMicrosecond,
  TimestampMicrosecond,
  TimestampNanosecond,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  addArrowRows,
  type ColumnKind,
  canonicalOf,
  canonicalValue,
  RowChecksum,
} from '../../src/cli/checksum.js';

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

describe('checksums of dates, times, timestamps, float32 and decimals', () => {
  const col = (type: DataType, values: ArrayLike<unknown>, valid?: boolean[]) =>
    makeVector(
      makeData({
        type,
        length: valid?.length ?? (type instanceof Decimal ? values.length / 4 : values.length),
        data: values,
        ...(valid
          ? { nullBitmap: Uint8Array.from([valid.reduce((m, v, i) => m | (v ? 1 << i : 0), 0)]) }
          : {}),
      } as never),
    );
  const arrowSum = (columns: Record<string, Vector>) => {
    const names = Object.keys(columns);
    const sum = new RowChecksum(names);
    const table = new Table(columns);
    addArrowRows(sum, table, names, (bad) => new Error(bad.join(', ')));
    return sum;
  };
  const sourceSum = (kinds: Record<string, ColumnKind>, rows: Record<string, unknown>[]) => {
    const sum = new RowChecksum(Object.keys(rows[0]!));
    sum.setKinds(kinds);
    for (const r of rows) sum.add(r);
    return sum;
  };

  it('renders database text by meaning', () => {
    expect(canonicalOf('date', '1970-01-02')).toBe('1');
    expect(canonicalOf('date', '1969-12-31')).toBe('-1');
    expect(canonicalOf('date', '0044-03-15 BC')).toBe(String(Math.round(Date.UTC(-43, 2, 15) / 86_400_000)));
    expect(canonicalOf('time', '00:00:01.5')).toBe('1500000');
    expect(canonicalOf('time', '-838:59:59')).toBe('-3020399000000');
    // Postgres timestamp, timestamptz (any offset) and MySQL DATETIME forms of one instant.
    for (const text of [
      '2024-01-02 03:04:05.123456',
      '2024-01-02T03:04:05.123456Z',
      '2024-01-02 05:04:05.123456+02',
      '2024-01-01 21:34:05.123456-05:30',
    ])
      expect(canonicalOf('timestamp', text)).toBe('1704164645123456');
    expect(canonicalOf('timestamp', '1969-12-31 23:59:59.5')).toBe('-500000');
    expect(canonicalOf('timestamp', 'infinity')).toBe('infinity');
    // Dates that do not exist stay text instead of rolling over into a real day.
    expect(canonicalOf('date', '0000-00-00')).toBe('0000-00-00');
    expect(canonicalOf('date', '2024-02-30')).toBe('2024-02-30');
    expect(canonicalOf('timestamp', '2024-02-30 00:00:00')).toBe('2024-02-30 00:00:00');
    expect(canonicalOf('date', '2024-02-29')).not.toBe('2024-02-29');
    expect(canonicalOf('float32', '1.1')).toBe(canonicalValue(Math.fround(1.1)));
    expect(canonicalOf('float32', 1.1)).not.toBe(canonicalValue(1.1));
  });

  it('equals the Arrow side for every temporal unit, float32 and decimal, nulls included', () => {
    const source = sourceSum({ d: 'date', ts: 'timestamp', tz: 'timestamp', t: 'time', f: 'float32' }, [
      {
        d: '2024-02-29',
        ts: '2024-02-29 12:00:00.000001',
        tz: '2024-02-29 13:00:00.000001+01',
        t: '23:59:59.999999',
        f: '0.1',
        amount: '-1.50',
      },
      { d: null, ts: '1969-12-31 23:59:59.999999', tz: null, t: '00:00:00', f: null, amount: '12345678.90' },
    ]);
    const d = Math.round(Date.UTC(2024, 1, 29) / 86_400_000);
    const us = BigInt(Date.UTC(2024, 1, 29, 12)) * 1000n + 1n;
    const arrow = arrowSum({
      d: col(new DateDay(), Int32Array.from([d, 0]), [true, false]),
      ts: col(new TimestampMicrosecond(), BigInt64Array.from([us, -1n])),
      tz: col(new TimestampNanosecond('UTC'), BigInt64Array.from([us * 1000n, 0n]), [true, false]),
      t: col(new TimeMicrosecond(), BigInt64Array.from([86_399_999_999n, 0n])),
      f: col(new Float32(), Float32Array.from([0.1, 0]), [true, false]),
      amount: col(
        new Decimal(2, 10, 128),
        Uint32Array.from([0xffff_ff6a, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 1234567890, 0, 0, 0]),
      ),
    });
    expect(arrow.count).toBe(2);
    expect(arrow.hex).toBe(source.hex);
  });

  it('sees a one-microsecond difference that Arrow getters (milliseconds) would hide', () => {
    const us = 1_704_164_645_123_456n;
    const a = arrowSum({ ts: col(new TimestampMicrosecond(), BigInt64Array.from([us])) });
    const b = arrowSum({ ts: col(new TimestampMicrosecond(), BigInt64Array.from([us + 1n])) });
    expect(a.hex).not.toBe(b.hex);
    expect(a.hex).toBe(sourceSum({ ts: 'timestamp' }, [{ ts: '2024-01-02 03:04:05.123456' }]).hex);
    // Sub-microsecond digits survive: nanoseconds 1 apart differ too.
    const n1 = arrowSum({ ts: col(new TimestampNanosecond(), BigInt64Array.from([us * 1000n + 1n])) });
    const n2 = arrowSum({ ts: col(new TimestampNanosecond(), BigInt64Array.from([us * 1000n + 2n])) });
    expect(n1.hex).not.toBe(n2.hex);
    expect(n1.hex).toBe(sourceSum({ ts: 'timestamp' }, [{ ts: '2024-01-02 03:04:05.123456001' }]).hex);
  });

  it('refuses Arrow types with no canonical form, naming the column', () => {
    const list = vectorFromArray([[1, 2]]);
    expect(() => arrowSum({ id: col(new Int32(), Int32Array.from([1])), tags: list })).toThrow(
      /^tags \(List/,
    );
  });
});
