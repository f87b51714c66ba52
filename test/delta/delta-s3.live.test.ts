import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDeltaTable } from '../../src/delta/index.js';
import { createS3Store, type ObjectStore } from '../../src/storage/index.js';
import { describeLive, env, liveS3, uniqueName } from '../support/live.js';
import { expectedOf, FIXTURES, fixtureNames, normalizeRows, sortRows } from './fixtures.js';

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

const withoutTimestamp = (rows: Record<string, unknown>[]): Record<string, unknown>[] =>
  sortRows(rows.map(({ _commit_timestamp, ...rest }) => rest));

// The same fixture comparisons as the unit tests, with the tables uploaded to the stack's S3.
// S3 sets LastModified itself, so commit timestamps are checked for order only.
describeLive(['s3'], 'Delta reader on the stack S3', () => {
  const prefix = `lakekit-tests/${uniqueName('delta')}`;
  const stores: ObjectStore[] = [];
  const storeFor = (name: string): ObjectStore => {
    const store = createS3Store({
      bucket: env('LAKEKIT_S3_BUCKET'),
      prefix: `${prefix}/${name}`,
      ...liveS3(),
    });
    stores.push(store);
    return store;
  };
  const names = fixtureNames();

  beforeAll(async () => {
    for (const name of names) {
      const store = storeFor(name);
      const root = join(FIXTURES, name);
      // Commits in version order, so LastModified grows with the version as with a real writer.
      const files = filesUnder(root).sort();
      for (const f of files) await store.put(relative(root, f).split('\\').join('/'), readFileSync(f));
    }
  });
  afterAll(async () => {
    for (const store of stores) for await (const o of store.list('')) await store.delete(o.key);
  });

  for (const name of names) {
    const expected = expectedOf(name);
    describe(name, () => {
      it('every version: same files and rows as the writer', async () => {
        const table = await openDeltaTable(stores[names.indexOf(name)]!);
        for (const s of expected.snapshots) {
          const snap = await table.snapshot({ version: s.version });
          expect(
            snap
              .files()
              .map((f) => f.key)
              .sort(),
          ).toEqual(s.files);
          expect(normalizeRows(await snap.toArrow())).toEqual(sortRows(s.rows));
        }
      });
      if (expected.cdf) {
        it('change feed rows match (timestamps: ordered by version)', async () => {
          const table = await openDeltaTable(stores[names.indexOf(name)]!);
          for (const [range, rows] of Object.entries(expected.cdf!)) {
            const [start, end] = range.split('-').map(Number) as [number, number];
            const got = normalizeRows(
              await table.readChanges({ startingVersion: start, endingVersion: end }),
            );
            expect(withoutTimestamp(got)).toEqual(withoutTimestamp(rows));
            const byVersion = new Map(
              got.map((r) => [Number(r._commit_version), Number(r._commit_timestamp)]),
            );
            const ordered = [...byVersion.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
            expect(ordered).toEqual([...ordered].sort((a, b) => a - b));
          }
        });
      }
    });
  }
});
