/**
 * Picks an `ObjectStore` from a location string: `s3://bucket/prefix` (also `s3a://`), `file:///dir`,
 * or a plain local path. S3 connection settings come from the caller; without them the SDK's own
 * default chain (environment, profile) applies.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StorageError } from './errors.js';
import { createLocalStore } from './local-store.js';
import type { ObjectStore, S3StoreOptions } from './object-store.js';
import { createS3Store } from './s3-store.js';

export function openStore(location: string, s3?: Omit<S3StoreOptions, 'bucket' | 'prefix'>): ObjectStore {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (m) return createS3Store({ ...s3, bucket: m[1]!, prefix: m[2]!.replace(/\/+$/, '') });
  if (location.startsWith('file:')) return createLocalStore(fileURLToPath(location));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new StorageError({
      message: `unsupported store location ${location} (use s3://bucket/prefix, file:///dir or a path)`,
      kind: 'validation',
      store: location,
      operation: 'open',
    });
  }
  return createLocalStore(resolve(location));
}
