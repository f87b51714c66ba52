/**
 * `FileIO` over the storage module's `ObjectStore`: `s3://bucket/key` locations map to an S3 store
 * per bucket, `file:` locations to local files. S3 settings combine the caller's with the
 * credentials a catalog vends in LoadTable `config` (REST spec: `s3.access-key-id`,
 * `s3.secret-access-key`, `s3.session-token`, `s3.endpoint`, `s3.path-style-access`,
 * `client.region`); vended values win, since they are scoped to the table.
 */
import { createS3Store } from '../../storage/index.js';
import type { ObjectStore, S3StoreOptions } from '../../storage/object-store.js';
import { validationError } from './errors.js';
import { type FileIO, localFileIO } from './io.js';

export type S3Settings = Omit<S3StoreOptions, 'bucket' | 'prefix' | 'client'>;

export function s3SettingsFromConfig(config: Record<string, string>, base: S3Settings = {}): S3Settings {
  const out: S3Settings = { ...base };
  const ak = config['s3.access-key-id'];
  const sk = config['s3.secret-access-key'];
  if (ak && sk) {
    const token = config['s3.session-token'];
    out.credentials = token
      ? { accessKeyId: ak, secretAccessKey: sk, sessionToken: token }
      : { accessKeyId: ak, secretAccessKey: sk };
  }
  if (config['s3.endpoint']) out.endpoint = config['s3.endpoint'];
  if (config['s3.path-style-access'] !== undefined)
    out.forcePathStyle = config['s3.path-style-access'] === 'true';
  const region = config['client.region'] ?? config['s3.region'];
  if (region) out.region = region;
  return out;
}

export function objectStoreFileIO(settings: S3Settings): FileIO {
  const stores = new Map<string, ObjectStore>();
  const local = localFileIO();
  const resolve = (location: string): { store: ObjectStore; key: string } | undefined => {
    const m = /^s3a?:\/\/([^/]+)\/(.*)$/.exec(location);
    if (!m) return undefined;
    const bucket = m[1] as string;
    let store = stores.get(bucket);
    if (!store) {
      store = createS3Store({ ...settings, bucket });
      stores.set(bucket, store);
    }
    return { store, key: m[2] as string };
  };
  const need = (location: string) => {
    const r = resolve(location);
    if (!r && !location.startsWith('file:') && !location.startsWith('/'))
      throw validationError('UnsupportedLocation', `cannot open ${location} (use s3:// or file:)`);
    return r;
  };
  return {
    async read(location, signal) {
      const r = need(location);
      return r ? r.store.get(r.key, signal ? { signal } : {}) : local.read(location, signal);
    },
    async readRange(location, offset, length, signal) {
      const r = need(location);
      return r
        ? r.store.get(r.key, { range: { offset, length }, ...(signal ? { signal } : {}) })
        : (local.readRange as NonNullable<FileIO['readRange']>)(location, offset, length, signal);
    },
    async write(location, bytes, opts) {
      const r = need(location);
      if (!r) return local.write(location, bytes, opts);
      await r.store.put(r.key, bytes, opts?.ifAbsent ? { ifNoneMatch: '*' } : {});
    },
    async delete(location) {
      const r = need(location);
      return r ? r.store.delete(r.key) : local.delete(location);
    },
  };
}
