/**
 * The storage branch of the lakekit error family: every failure of an object store (S3 or local
 * files) surfaces as a `StorageError` naming the store URL and key, with predicates for the two
 * conditions callers branch on — the object is absent, or a conditional write lost its race.
 */
import { LakekitError, type LakekitErrorInit } from '../http/errors.js';

export interface StorageErrorInit extends Omit<LakekitErrorInit, 'service'> {
  /** Store URL (`s3://bucket/prefix`, `file:///dir`), never with credentials. */
  store: string;
  /** Key relative to the store, when the failure concerns one object. */
  key?: string;
  /** What the store was asked to do: `get`, `head`, `put`, `list`, `delete`. */
  operation: string;
}

export class StorageError extends LakekitError {
  override name = 'StorageError';
  readonly store: string;
  readonly key: string | undefined;
  readonly operation: string;

  constructor(init: StorageErrorInit) {
    super({ ...init, service: 'storage' });
    this.store = init.store;
    this.key = init.key;
    this.operation = init.operation;
  }

  /** The object (or the directory holding it) does not exist. */
  override isNotFound(): boolean {
    return this.status === 404 || this.code === 'NoSuchKey' || this.code === 'ENOENT';
  }

  /** A conditional write (`ifNoneMatch: '*'`) found the key already present. */
  isPreconditionFailed(): boolean {
    return this.status === 412 || this.code === 'EEXIST';
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), store: this.store, key: this.key, operation: this.operation };
  }
}
