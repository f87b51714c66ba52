import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalStore, openStore, StorageError } from '../../src/storage/index.js';
import { storeScenarios } from './store-scenarios.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const freshDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'lakekit-store-'));
  dirs.push(d);
  return d;
};

describe('local object store', () => {
  storeScenarios(() => createLocalStore(freshDir()));

  it('refuses keys that escape the root', async () => {
    const store = createLocalStore(freshDir());
    const err = await store.get('../etc/passwd').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).isBadRequest()).toBe(true);
  });

  it('opens file URLs, plain paths and s3 URLs', () => {
    const dir = freshDir();
    expect(openStore(dir).url).toBe(pathToFileURL(dir).href);
    expect(openStore(pathToFileURL(dir).href).url).toBe(pathToFileURL(dir).href);
    expect(openStore('s3://bucket/some/prefix/', { region: 'us-east-1' }).url).toBe(
      's3://bucket/some/prefix',
    );
    expect(() => openStore('gs://bucket/x')).toThrow(StorageError);
  });
});
