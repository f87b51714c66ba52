import { afterAll, describe, expect, it } from 'vitest';
import { DeltaError, openDeltaTable } from '../../src/delta/index.js';
import { cleanupScratch, expectedOf, normalizeRows, prepareFixture, sortRows } from './fixtures.js';

afterAll(cleanupScratch);

describe('time travel by timestamp', () => {
  const expected = expectedOf('rs-timestamps');
  const ts = expected.commitTimestamps!;

  it('resolves an instant between two commits to the earlier version, as delta-rs does', async () => {
    const table = await openDeltaTable(prepareFixture('rs-timestamps'));
    for (const [instant, version] of Object.entries(expected.versionAtTimestamp!)) {
      const snap = await table.snapshot({ timestamp: Number(instant) });
      expect(snap.version).toBe(version);
      expect(normalizeRows(await snap.toArrow())).toEqual(sortRows(expected.snapshots[version]!.rows));
    }
  });

  it('an exact commit timestamp selects that commit; the snapshot reports it', async () => {
    const table = await openDeltaTable(prepareFixture('rs-timestamps'));
    for (const [v, t] of Object.entries(ts)) {
      const snap = await table.snapshot({ timestamp: new Date(t) });
      expect(snap.version).toBe(Number(v));
      expect(snap.timestamp).toBe(t);
    }
  });

  it('an instant before the first commit is VersionNotAvailable', async () => {
    const table = await openDeltaTable(prepareFixture('rs-timestamps'));
    const err = await table.snapshot({ timestamp: ts['0']! - 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeltaError);
    expect((err as DeltaError).code).toBe('VersionNotAvailable');
  });

  it('history lists commitInfo newest first with the writer timestamps', async () => {
    const table = await openDeltaTable(prepareFixture('rs-cdf'));
    const history = await table.history();
    const cdfTs = expectedOf('rs-cdf').commitTimestamps!;
    expect(history.map((h) => h.version)).toEqual([4, 3, 2, 1, 0]);
    for (const h of history) expect(h.timestamp).toBe(cdfTs[String(h.version)]);
    // The generator ran: write, append, update, delete, merge.
    expect(history.map((h) => h.commitInfo?.operation)).toEqual([
      'MERGE',
      'DELETE',
      'UPDATE',
      'WRITE',
      'WRITE',
    ]);
  });

  it('changesSince returns the later commits with their actions', async () => {
    const table = await openDeltaTable(prepareFixture('rs-cdf'));
    const since = await table.changesSince(2);
    expect(since.map((c) => c.version)).toEqual([3, 4]);
    expect(since[0]!.actions.some((a) => a.remove)).toBe(true);
    expect(await table.changesSince(4)).toEqual([]);
  });
});
