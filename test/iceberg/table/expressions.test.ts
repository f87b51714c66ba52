import { describe, expect, it } from 'vitest';
import {
  and,
  bind,
  boundToString,
  eq,
  evalRow,
  fileMightMatch,
  gt,
  isIn,
  isNull,
  lt,
  manifestMightMatch,
  not,
  notEq,
  notNull,
  or,
  projectInclusive,
  startsWith,
} from '../../../src/iceberg/table/expressions.js';
import { FileContent } from '../../../src/iceberg/table/manifest.js';
import { buildPartitionSpec } from '../../../src/iceberg/table/metadata.js';
import { makeSchema, optional, required } from '../../../src/iceberg/table/types.js';
import { serializeValue } from '../../../src/iceberg/table/values.js';

const schema = makeSchema([
  required(1, 'id', 'long'),
  optional(2, 'name', 'string'),
  optional(3, 'ts', 'timestamp'),
  optional(4, 'price', 'decimal(9, 2)'),
]);

describe('building and printing', () => {
  it('prints SQL-like text', () => {
    const e = and(or(lt('id', 5), isIn('name', ['a', "o'b"])), not(isNull('ts')));
    expect(String(e)).toBe("((id < 5 or name in ('a', 'o''b')) and not(ts is null))");
    expect(boundToString(bind(e, schema))).toBe("((id < 5 or name in (a, o'b)) and not(ts is null))");
  });
  it('binds literals to column types and names unknown columns', () => {
    const b = bind(eq('ts', '2024-01-02T03:04:05.000006'), schema);
    expect(b).toMatchObject({ op: 'eq', ref: { fieldId: 3, type: 'timestamp' }, value: 1704164645000006n });
    expect(() => bind(eq('nope', 1), schema)).toThrow(/unknown column "nope"/);
    expect(() => bind(eq('id', 'x'), schema)).toThrow(/id/);
    // required columns are never null: the predicate folds
    expect(bind(isNull('id'), schema)).toEqual({ op: 'false' });
  });
});

describe('row evaluation uses SQL null semantics', () => {
  const b = bind(or(notEq('name', 'a'), gt('price', '1.50')), schema);
  it('null never matches a comparison, even !=', () => {
    expect(evalRow(b, (id) => (id === 2 ? null : id === 4 ? 100n : null))).toBe(false);
    expect(evalRow(b, (id) => (id === 2 ? 'b' : null))).toBe(true);
    expect(evalRow(b, (id) => (id === 4 ? 151n : null))).toBe(true);
    expect(evalRow(bind(not(eq('name', 'a')), schema), () => null)).toBe(false);
  });
});

describe('inclusive projection through transforms', () => {
  it('day, bucket and truncate', () => {
    const spec = buildPartitionSpec(schema, [
      { source: 'ts', transform: 'day' },
      { source: 'id', transform: 'bucket[16]' },
      { source: 'name', transform: 'truncate[2]' },
    ]);
    const p = (e: ReturnType<typeof eq>) => boundToString(projectInclusive(bind(e, schema), spec, schema));
    expect(p(lt('ts', '2024-01-02T00:00:00'))).toBe('ts_day <= 2024-01-01');
    expect(p(gt('ts', '2024-01-02T00:00:00'))).toBe('ts_day >= 2024-01-02');
    expect(p(eq('id', 34))).toMatch(/^id_bucket = \d+$/);
    expect(p(lt('id', 34))).toBe('true');
    expect(p(startsWith('name', 'abc'))).toBe('name_trunc = ab');
    expect(p(startsWith('name', 'a'))).toBe('name_trunc starts with a');
    expect(p(and(eq('name', 'abc'), notNull('ts')))).toBe('(name_trunc = ab and ts_day is not null)');
  });
  it('prunes manifests by partition summaries', () => {
    const spec = buildPartitionSpec(schema, [{ source: 'name', transform: 'identity' }]);
    const proj = projectInclusive(bind(eq('name', 'm'), schema), spec, schema);
    const summary = (lo: string, hi: string) => [
      {
        containsNull: false,
        lowerBound: serializeValue('string', lo),
        upperBound: serializeValue('string', hi),
      },
    ];
    expect(manifestMightMatch(proj, summary('a', 'k'))).toBe(false);
    expect(manifestMightMatch(proj, summary('a', 'z'))).toBe(true);
    expect(
      manifestMightMatch(projectInclusive(bind(isNull('name'), schema), spec, schema), summary('a', 'z')),
    ).toBe(false);
  });
});

describe('column-stats pruning', () => {
  const file = {
    content: FileContent.Data,
    filePath: 'f',
    fileFormat: 'PARQUET',
    partition: [],
    specId: 0,
    recordCount: 10,
    fileSizeInBytes: 1,
    valueCounts: new Map([
      [1, 10],
      [2, 10],
    ]),
    nullValueCounts: new Map([
      [1, 0],
      [2, 10],
    ]),
    lowerBounds: new Map([[1, serializeValue('long', 100n)]]),
    upperBounds: new Map([[1, serializeValue('long', 200n)]]),
  };
  it('uses bounds and null counts', () => {
    const m = (e: ReturnType<typeof eq>) => fileMightMatch(bind(e, schema), file);
    expect(m(lt('id', 100))).toBe(false);
    expect(m(lt('id', 101))).toBe(true);
    expect(m(gt('id', 200))).toBe(false);
    expect(m(eq('id', 150))).toBe(true);
    expect(m(isIn('id', [1, 300]))).toBe(false);
    expect(m(notNull('name'))).toBe(false); // every name is null
    expect(m(eq('name', 'x'))).toBe(false);
    expect(m(isNull('name'))).toBe(true);
    expect(m(eq('ts', '2024-01-01T00:00:00'))).toBe(true); // no stats: might match
  });
});
