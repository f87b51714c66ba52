/**
 * lakekit storage — the one object-store interface (S3 and local files) that the Iceberg and Delta
 * table layers read and write through. Types are public; implementations are reached through the
 * three factories.
 */
export { StorageError, type StorageErrorInit } from './errors.js';
export { createLocalStore } from './local-store.js';
export type {
  ByteRange,
  GetOptions,
  ListOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  S3StoreOptions,
} from './object-store.js';
export { joinKey } from './object-store.js';
export { openStore } from './open-store.js';
export { createS3Store } from './s3-store.js';
