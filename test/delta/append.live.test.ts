import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { expect, it } from 'vitest';
import { appendToDelta } from '../../src/delta/write/append.js';
import { createLocalStore } from '../../src/storage/index.js';
import { describeLive, env } from '../support/live.js';

// The independent check: delta-rs (Python `deltalake`) reads what lakekit wrote.
describeLive(['python'], 'Delta append writer read by delta-rs', () => {
  it('round-trips rows, schema, versions and commit metadata', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-delta-interop-'));
    const store = createLocalStore(dir);
    await appendToDelta(
      store,
      tableFromArrays({
        id: BigInt64Array.from([1n, 2n]),
        name: ['a', 'b'],
        amount: Float64Array.from([1.5, -2]),
      }),
      { commitInfo: { 'lakekit.positions': [{ topic: 't', partition: 0, offset: '2' }] } },
    );
    await appendToDelta(
      store,
      tableFromArrays({ id: BigInt64Array.from([3n]), name: ['c'], amount: Float64Array.from([0.25]) }),
    );
    const script = `
import json, sys
from deltalake import DeltaTable
t = DeltaTable(sys.argv[1])
rows = sorted(t.to_pyarrow_table().to_pylist(), key=lambda r: r["id"])
print(json.dumps({"version": t.version(), "rows": rows, "schema": [f.name + ":" + str(f.type) for f in t.schema().fields],
  "files": len(t.file_uris()), "history": [h.get("lakekit.positions") for h in t.history()]}))
# deltalake's native runtime can abort while the interpreter shuts down ("terminate called without
# an active exception"); the answer is printed by then, so leave without running the teardown.
sys.stdout.flush()
import os
os._exit(0)`;
    const out = JSON.parse(execFileSync(env('LAKEKIT_PYTHON'), ['-c', script, dir], { encoding: 'utf8' }));
    expect(out.version).toBe(1);
    expect(out.files).toBe(2);
    expect(out.rows).toEqual([
      { id: 1, name: 'a', amount: 1.5 },
      { id: 2, name: 'b', amount: -2 },
      { id: 3, name: 'c', amount: 0.25 },
    ]);
    expect(out.schema).toEqual([
      'id:PrimitiveType("long")',
      'name:PrimitiveType("string")',
      'amount:PrimitiveType("double")',
    ]);
    expect(out.history).toContainEqual([{ topic: 't', partition: 0, offset: '2' }]);
  });
});
