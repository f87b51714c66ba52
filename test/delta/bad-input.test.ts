import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const logFile = (dir: string, v: number, suffix = 'json'): string =>
  join(dir, '_delta_log', `${String(v).padStart(20, '0')}.${suffix}`);

async function failure(p: Promise<unknown>): Promise<DeltaError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DeltaError);
  return e as DeltaError;
}

describe('bad input gives typed errors, never wrong rows', () => {
  it('a missing commit in the middle of the log is MissingVersion naming it', async () => {
    const dir = prepareFixture('rs-cdf');
    unlinkSync(logFile(dir, 2));
    const table = await openDeltaTable(dir);
    const err = await failure(table.snapshot());
    expect(err.code).toBe('MissingVersion');
    expect(err.version).toBe(2);
    expect(err.message).toContain('commit 2');
    // Versions before the gap are still readable and right.
    const snap = await table.snapshot({ version: 1 });
    expect(normalizeRows(await snap.toArrow())).toEqual(sortRows(expectedOf('rs-cdf').snapshots[1]!.rows));
    // And a change feed across the gap fails rather than skipping it.
    expect((await failure(table.readChanges({ startingVersion: 1, endingVersion: 3 }))).code).toBe(
      'MissingVersion',
    );
  });

  it('a corrupt checkpoint is CorruptCheckpoint naming version and file', async () => {
    const dir = prepareFixture('rs-checkpoint');
    const cp = logFile(dir, 3, 'checkpoint.parquet');
    const bytes = readFileSync(cp);
    writeFileSync(cp, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const table = await openDeltaTable(dir);
    const err = await failure(table.snapshot());
    expect(err.code).toBe('CorruptCheckpoint');
    expect(err.version).toBe(3);
    expect(err.file).toContain('00000000000000000003.checkpoint.parquet');
  });

  it('a truncated commit line is CorruptCommit naming the version', async () => {
    const dir = prepareFixture('rs-checkpoint');
    const f = logFile(dir, 5);
    truncateSync(f, readFileSync(f).length - 25);
    const table = await openDeltaTable(dir);
    const err = await failure(table.snapshot());
    expect(err.code).toBe('CorruptCommit');
    expect(err.version).toBe(5);
    expect(err.message).toMatch(/line \d+/);
    expect((await table.snapshot({ version: 4 })).version).toBe(4);
  });

  it('an unsupported reader feature fails naming the feature', async () => {
    const dir = prepareFixture('rs-checkpoint');
    appendFileSync(
      logFile(dir, 6),
      `${JSON.stringify({ commitInfo: { timestamp: Date.now(), operation: 'UPGRADE' } })}\n${JSON.stringify({
        protocol: {
          minReaderVersion: 3,
          minWriterVersion: 7,
          readerFeatures: ['deletionVectors', 'quantumRows'],
          writerFeatures: [],
        },
      })}\n`,
    );
    const table = await openDeltaTable(dir);
    const err = await failure(table.snapshot());
    expect(err.code).toBe('UnsupportedFeature');
    expect(err.feature).toBe('quantumRows');
    expect(err.isUnsupportedFeature()).toBe(true);
  });

  it('a reader version above 3 fails naming it', async () => {
    const dir = prepareFixture('rs-checkpoint');
    appendFileSync(
      logFile(dir, 6),
      `${JSON.stringify({ protocol: { minReaderVersion: 4, minWriterVersion: 7 } })}\n`,
    );
    const err = await failure((await openDeltaTable(dir)).snapshot());
    expect(err.code).toBe('UnsupportedFeature');
    expect(err.feature).toBe('readerVersion 4');
  });

  it('no log at all is TableNotFound; a future version is VersionNotAvailable', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'lakekit-delta-empty-'));
    try {
      expect((await failure(openDeltaTable(empty))).code).toBe('TableNotFound');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const table = await openDeltaTable(prepareFixture('rs-cdf'));
    const err = await failure(table.snapshot({ version: 99 }));
    expect(err.code).toBe('VersionNotAvailable');
    expect(err.version).toBe(99);
  });

  it('a stale _last_checkpoint pointing at a missing checkpoint falls back to a full listing', async () => {
    const dir = prepareFixture('rs-checkpoint');
    writeFileSync(join(dir, '_delta_log', '_last_checkpoint'), JSON.stringify({ version: 5, size: 3 }));
    const snap = await (await openDeltaTable(dir)).snapshot();
    expect(normalizeRows(await snap.toArrow())).toEqual(
      sortRows(expectedOf('rs-checkpoint').snapshots[5]!.rows),
    );
  });

  it('a data file missing from storage is CorruptDataFile naming it', async () => {
    const dir = prepareFixture('rs-schema-evolution');
    const snap = await (await openDeltaTable(dir)).snapshot();
    const victim = snap.files()[0]!;
    unlinkSync(join(dir, victim.key));
    const err = await failure(snap.toArrow());
    expect(err.code).toBe('CorruptDataFile');
    expect(err.file).toBe(victim.key);
  });

  it.runIf(fixtureNames().includes('spark-deletion-vectors'))(
    'a deletion vector with a wrong checksum is CorruptDeletionVector',
    async () => {
      const dir = prepareFixture('spark-deletion-vectors');
      const dvs = readdirSync(dir).filter((f) => f.startsWith('deletion_vector_') && f.endsWith('.bin'));
      expect(dvs.length).toBeGreaterThan(0);
      for (const f of dvs) {
        const bytes = readFileSync(join(dir, f));
        // Flip one bit inside the bitmap (after the version byte and the 4-byte size).
        bytes[1 + 4 + 6]! ^= 0x01;
        writeFileSync(join(dir, f), bytes);
      }
      const snap = await (await openDeltaTable(dir)).snapshot();
      const err = await failure(snap.toArrow());
      expect(err.code).toBe('CorruptDeletionVector');
      expect(err.message).toContain('checksum');
    },
  );
});
