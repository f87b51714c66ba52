import { readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openDeltaTable } from '../../src/delta/index.js';
import {
  cleanupScratch,
  expectedOf,
  FIXTURES,
  fixtureNames,
  normalizeRows,
  prepareFixture,
  sortRows,
} from './fixtures.js';

afterAll(cleanupScratch);

// Every fixture table, every version: lakekit must see what the writer's own reader saw.
for (const name of fixtureNames()) {
  const expected = expectedOf(name);
  describe(`${name} (written by ${expected.writer})`, () => {
    it('finds the latest version', async () => {
      const table = await openDeltaTable(prepareFixture(name));
      const snap = await table.snapshot();
      expect(snap.version).toBe(expected.latest);
    });
    for (const s of expected.snapshots) {
      it(`version ${s.version}: same files, schema and rows as the writer's reader`, async () => {
        const table = await openDeltaTable(prepareFixture(name));
        const snap = await table.snapshot({ version: s.version });
        expect(snap.version).toBe(s.version);
        expect(
          snap
            .files()
            .map((f) => f.key)
            .sort(),
        ).toEqual(s.files);
        expect(snap.schema.fields.map((f) => f.name)).toEqual(s.schemaFields);
        if (s.partitionColumns) expect([...snap.partitionColumns]).toEqual(s.partitionColumns);
        const rows = normalizeRows(await snap.toArrow());
        expect(rows).toEqual(sortRows(s.rows));
      });
    }
  });
}

describe('fixture set', () => {
  it('every fixture directory has the writer answers, and both writers are represented', () => {
    const dirs = readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory());
    expect(dirs.map((d) => d.name).sort()).toEqual(fixtureNames());
    const writers = new Set(fixtureNames().map((n) => expectedOf(n).writer));
    expect([...writers].sort()).toEqual(['delta-rs', 'delta-spark']);
  });
});
