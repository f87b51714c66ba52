/**
 * The one object-store interface lakekit's table readers code against (DESIGN.md: `src/storage`).
 * Keys are `/`-separated and relative to the store's root (an S3 bucket+prefix or a local
 * directory); listing is in lexicographic key order, which is what the Delta and Iceberg log
 * layouts rely on (zero-padded versions sort numerically). `openStore` picks the implementation
 * from a location string.
 */
import type { S3Client } from '@aws-sdk/client-s3';

export interface ObjectInfo {
  /** Key relative to the store root. */
  key: string;
  size: number;
  lastModified?: Date;
  etag?: string;
}

export interface ByteRange {
  offset: number;
  length: number;
}

export interface GetOptions {
  range?: ByteRange;
  signal?: AbortSignal;
}

export interface PutOptions {
  /** `'*'`: create only; fails with `StorageError.isPreconditionFailed()` when the key exists. */
  ifNoneMatch?: '*';
  contentType?: string;
  signal?: AbortSignal;
}

export interface ListOptions {
  /** Only keys strictly greater than this full key (not a suffix of the prefix). */
  startAfter?: string;
  signal?: AbortSignal;
}

export interface ObjectStore {
  /** e.g. `s3://bucket/prefix` or `file:///dir`; never carries credentials. */
  readonly url: string;
  /** Whole object or a byte range; a missing key throws `StorageError` with `isNotFound()`. */
  get(key: string, opts?: GetOptions): Promise<Uint8Array>;
  /** `undefined` when the key does not exist. */
  head(key: string, opts?: { signal?: AbortSignal }): Promise<ObjectInfo | undefined>;
  put(key: string, body: Uint8Array | string, opts?: PutOptions): Promise<{ etag?: string }>;
  /** Every key starting with `prefix`, lexicographically ordered. */
  list(prefix: string, opts?: ListOptions): AsyncIterable<ObjectInfo>;
  /** Deleting a missing key is not an error (S3 semantics). */
  delete(key: string, opts?: { signal?: AbortSignal }): Promise<void>;
}

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix inside the bucket that acts as the store root (no leading or trailing `/` needed). */
  prefix?: string;
  /** Custom endpoint for S3-compatible servers (MinIO, versitygw). */
  endpoint?: string;
  region?: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most self-hosted servers need. */
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** A ready client (tests, custom middleware); the options above are then ignored. */
  client?: S3Client;
}

/** Joins a root prefix and a key with exactly one `/` between non-empty parts. */
export function joinKey(prefix: string, key: string): string {
  const p = prefix.replace(/\/+$/, '');
  const k = key.replace(/^\/+/, '');
  if (p === '') return k;
  if (k === '') return p + '/';
  return `${p}/${k}`;
}
