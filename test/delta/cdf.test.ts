import { afterAll, describe, expect, it } from 'vitest';
import { DeltaError, openDeltaTable } from '../../src/delta/index.js';
import {
  cleanupScratch,
  expectedOf,
  fixtureNames,
  normalizeRows,
  prepareFixture,
  sortRows,
} from './fixtures.js';

afterAll(cleanupScratch);

// CDF between two versions, for every range the writer's own reader was asked about.
for (const name of fixtureNames()) {
  const expected = expectedOf(name);
  if (!expected.cdf) continue;
  describe(`Change Data Feed of ${name} (${expected.writer})`, () => {
    for (const [range, rows] of Object.entries(expected.cdf!)) {
      const [start, end] = range.split('-').map(Number) as [number, number];
      it(`versions ${start}..${end} match the writer's change feed, metadata columns included`, async () => {
        const table = await openDeltaTable(prepareFixture(name));
        const changes = await table.readChanges({ startingVersion: start, endingVersion: end });
        expect(changes.schema.fields.slice(-3).map((f) => f.name)).toEqual([
          '_change_type',
          '_commit_version',
          '_commit_timestamp',
        ]);
        expect(normalizeRows(changes)).toEqual(sortRows(rows));
      });
    }
  });
}

describe('Change Data Feed options', () => {
  it('filters by change type and projects columns', async () => {
    const expected = expectedOf('rs-cdf').cdf!['0-4']!;
    const table = await openDeltaTable(prepareFixture('rs-cdf'));
    const changes = await table.readChanges({
      startingVersion: 0,
      endingVersion: 4,
      columns: ['id'],
      changeTypes: ['update_preimage', 'update_postimage'],
    });
    const want = expected
      .filter((r) => String(r._change_type).startsWith('update_'))
      .map((r) => ({
        id: r.id,
        _change_type: r._change_type,
        _commit_version: r._commit_version,
        _commit_timestamp: r._commit_timestamp,
      }));
    expect(want.length).toBeGreaterThan(0);
    expect(normalizeRows(changes)).toEqual(sortRows(want));
  });

  it('reads a time range: versions committed within [start, end] instants', async () => {
    const expected = expectedOf('rs-cdf');
    const ts = expected.commitTimestamps!;
    const table = await openDeltaTable(prepareFixture('rs-cdf'));
    // From just after commit 0 to exactly commit 2: versions 1 and 2.
    const changes = await table.readChanges({
      startingTimestamp: ts['0']! + 1,
      endingTimestamp: new Date(ts['2']!),
    });
    expect(normalizeRows(changes)).toEqual(sortRows(expected.cdf!['1-2']!));
  });

  it('filters changed rows by a data column', async () => {
    const expected = expectedOf('rs-cdf').cdf!['0-4']!;
    const table = await openDeltaTable(prepareFixture('rs-cdf'));
    const changes = await table.readChanges({
      startingVersion: 0,
      endingVersion: 4,
      filter: [['id', '>=', 4]],
    });
    const want = expected.filter((r) => Number(r.id) >= 4);
    expect(want.length).toBeGreaterThan(0);
    expect(normalizeRows(changes)).toEqual(sortRows(want));
  });

  it('fails naming the version when Change Data Feed was not enabled', async () => {
    const table = await openDeltaTable(prepareFixture('rs-checkpoint'));
    const err = await table.readChanges({ startingVersion: 1, endingVersion: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeltaError);
    expect((err as DeltaError).code).toBe('ChangeDataFeedNotEnabled');
    expect((err as DeltaError).version).toBe(1);
  });

  it('rejects an empty range', async () => {
    const table = await openDeltaTable(prepareFixture('rs-cdf'));
    await expect(table.readChanges({ startingVersion: 3, endingVersion: 1 })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
  });
});
