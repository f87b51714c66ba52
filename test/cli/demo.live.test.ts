import { expect, it } from 'vitest';
import { endpointsFrom } from '../../src/cli/config.js';
import { runDemo } from '../../src/cli/demo.js';
import { describeLive, liveEnv } from '../support/live.js';

// Issue 9's end-to-end flows: Postgres/MariaDB → Debezium → Kafka → lakekit's CDC sink → Iceberg
// and Delta, 10,000 rows with updates and deletes, each sink stopped after two batches and
// restarted; counts and checksums must be equal and no change event applied twice.
describeLive(
  ['postgres', 'mariadb', 'kafka', 'connect', 'iceberg', 's3'],
  'CDC flows end to end (lakekit demo)',
  () => {
    it('four flows with 10,000 rows survive a sink restart with exact counts and checksums', async () => {
      const rows = 10_000;
      const lines: string[] = [];
      const results = await runDemo({
        endpoints: endpointsFrom(liveEnv),
        rows,
        sources: ['postgres', 'mariadb'],
        restartSinkAfterBatches: 2,
        progress: (l) => lines.push(l),
      });
      expect(results.map((r) => r.flow)).toEqual([
        'postgres → iceberg',
        'postgres → delta',
        'mariadb → iceberg',
        'mariadb → delta',
      ]);
      // The change plan: rows/10 inserts, rows/20 updates, rows/50 deletes after the snapshot.
      const expectedRows = rows + rows / 10 - rows / 50;
      const expectedEvents = rows + rows / 10 + rows / 20 + rows / 50;
      for (const r of results) {
        expect(r.source.count, r.flow).toBe(expectedRows);
        expect(r.target.count, r.flow).toBe(expectedRows);
        expect(r.target.checksum, r.flow).toBe(r.source.checksum);
        expect(r.restarts, r.flow).toBe(1);
        // Every change event applied exactly once across the restart: none skipped, none repeated.
        expect(r.events, r.flow).toBe(expectedEvents);
        expect(r.ok, r.flow).toBe(true);
      }
      expect(lines.some((l) => /sink stopped after 2 batches/.test(l))).toBe(true);
    }, 600_000);
  },
);
