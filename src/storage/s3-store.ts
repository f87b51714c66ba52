/**
 * `ObjectStore` over S3 and S3-compatible servers (MinIO, versitygw) with `@aws-sdk/client-s3`.
 * The SDK owns signing and its own retries; this module maps keys below the configured prefix,
 * pages `ListObjectsV2` (passing `StartAfter` so a reader resuming a `_delta_log/` listing does not
 * re-read it), issues HTTP Range reads, and turns SDK failures into `StorageError` — in particular
 * HTTP 412 on `PutObject` with `If-None-Match: *` into `isPreconditionFailed()`.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { StorageError } from './errors.js';
import {
  type GetOptions,
  joinKey,
  type ListOptions,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
  type S3StoreOptions,
} from './object-store.js';

interface SdkFailure {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  message?: string;
}

export function createS3Store(o: S3StoreOptions): ObjectStore {
  const prefix = (o.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const url = `s3://${o.bucket}${prefix ? `/${prefix}` : ''}`;
  const client =
    o.client ??
    new S3Client({
      region: o.region ?? 'us-east-1',
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      ...(o.forcePathStyle !== undefined ? { forcePathStyle: o.forcePathStyle } : {}),
      ...(o.credentials ? { credentials: o.credentials } : {}),
    } satisfies S3ClientConfig);

  const fullKey = (key: string): string => (prefix ? joinKey(prefix, key) : key.replace(/^\/+/, ''));
  const relKey = (k: string): string => (prefix ? k.slice(prefix.length + 1) : k);

  const fail = (operation: string, key: string, e: unknown): StorageError => {
    const f = (e ?? {}) as SdkFailure;
    const status = f.$metadata?.httpStatusCode;
    const code = f.Code ?? f.name;
    const aborted = f.name === 'AbortError';
    return new StorageError({
      message:
        `${operation} ${key} in ${url} failed: ${code ?? ''}${status ? ` (HTTP ${status})` : ''} ${f.message ?? ''}`.trim(),
      kind: aborted ? 'aborted' : status !== undefined ? 'http' : 'network',
      ...(status !== undefined ? { status } : {}),
      ...(code !== undefined ? { code } : {}),
      retriable: status === undefined || status >= 500 || status === 429,
      method: operation,
      path: key,
      store: url,
      key,
      operation,
      cause: e,
    });
  };

  const sendOpts = (signal: AbortSignal | undefined) => (signal ? { abortSignal: signal } : {});

  async function get(key: string, opts: GetOptions = {}): Promise<Uint8Array> {
    if (opts.range && opts.range.length === 0) return new Uint8Array(0);
    try {
      const out = await client.send(
        new GetObjectCommand({
          Bucket: o.bucket,
          Key: fullKey(key),
          ...(opts.range
            ? { Range: `bytes=${opts.range.offset}-${opts.range.offset + opts.range.length - 1}` }
            : {}),
        }),
        sendOpts(opts.signal),
      );
      if (!out.Body) return new Uint8Array(0);
      return await out.Body.transformToByteArray();
    } catch (e) {
      throw fail('get', key, e);
    }
  }

  async function head(key: string, opts: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    try {
      const out = await client.send(
        new HeadObjectCommand({ Bucket: o.bucket, Key: fullKey(key) }),
        sendOpts(opts.signal),
      );
      return {
        key,
        size: out.ContentLength ?? 0,
        ...(out.LastModified ? { lastModified: out.LastModified } : {}),
        ...(out.ETag ? { etag: out.ETag } : {}),
      };
    } catch (e) {
      const err = fail('head', key, e);
      if (err.isNotFound() || err.code === 'NotFound') return undefined;
      throw err;
    }
  }

  async function put(
    key: string,
    body: Uint8Array | string,
    opts: PutOptions = {},
  ): Promise<{ etag?: string }> {
    try {
      const out = await client.send(
        new PutObjectCommand({
          Bucket: o.bucket,
          Key: fullKey(key),
          Body: body,
          ...(opts.contentType ? { ContentType: opts.contentType } : {}),
          ...(opts.ifNoneMatch ? { IfNoneMatch: opts.ifNoneMatch } : {}),
        }),
        sendOpts(opts.signal),
      );
      return out.ETag ? { etag: out.ETag } : {};
    } catch (e) {
      const err = fail('put', key, e);
      // S3 answers 409 ConditionalRequestConflict when two create-only writes race; for the caller
      // that is the same outcome as 412: someone else's object is (about to be) there.
      if (opts.ifNoneMatch && err.status === 409) {
        throw new StorageError({
          message: err.message,
          kind: 'http',
          status: 412,
          code: err.code ?? 'ConditionalRequestConflict',
          store: url,
          key,
          operation: 'put',
          cause: e,
        });
      }
      throw err;
    }
  }

  async function* list(listPrefix: string, opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    const startAfter = opts.startAfter !== undefined ? fullKey(opts.startAfter) : undefined;
    do {
      let out: ListObjectsV2CommandOutput;
      try {
        out = await client.send(
          new ListObjectsV2Command({
            Bucket: o.bucket,
            Prefix: prefix ? joinKey(prefix, listPrefix) : listPrefix,
            ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
          }),
          sendOpts(opts.signal),
        );
      } catch (e) {
        throw fail('list', listPrefix, e);
      }
      for (const c of out.Contents ?? []) {
        if (!c.Key) continue;
        yield {
          key: relKey(c.Key),
          size: c.Size ?? 0,
          ...(c.LastModified ? { lastModified: c.LastModified } : {}),
          ...(c.ETag ? { etag: c.ETag } : {}),
        };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async function del(key: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await client.send(
        new DeleteObjectCommand({ Bucket: o.bucket, Key: fullKey(key) }),
        sendOpts(opts.signal),
      );
    } catch (e) {
      const err = fail('delete', key, e);
      if (err.isNotFound()) return;
      throw err;
    }
  }

  return { url, get, head, put, list, delete: del };
}
