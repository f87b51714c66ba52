/**
 * File access for the table layer. Iceberg metadata names every file by an absolute location
 * (`s3://bucket/…`, `file:///…`); `FileIO` reads, writes and deletes by that location. The S3
 * implementation sits on the storage module's `ObjectStore`; `localFileIO` serves local warehouses
 * and test fixtures (with an optional prefix rewrite, because fixture metadata holds the absolute
 * paths of the machine that generated it).
 */
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { protocolError, validationError } from './errors.js';

export interface FileIO {
  read(location: string, signal?: AbortSignal): Promise<Uint8Array>;
  /** Bytes [offset, offset+length) of a file (Parquet footers, range reads). */
  readRange?(location: string, offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  size?(location: string): Promise<number>;
  /** Writes a new file; must fail rather than overwrite when `ifAbsent` is set. */
  write(location: string, bytes: Uint8Array, opts?: { ifAbsent?: boolean }): Promise<void>;
  delete(location: string): Promise<void>;
}

/**
 * Waits for every write to finish, then throws the first failure. Waiting for all (not the first
 * rejection) matters for cleanup: a file still being uploaded when cleanup runs would be left behind.
 */
export async function settleWrites(writes: Iterable<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Local files; `rewrite` maps location prefixes (e.g. a generator's warehouse) to directories. */
export function localFileIO(rewrite: Record<string, string> = {}): FileIO {
  const toPath = (location: string): string => {
    let loc = location;
    for (const [from, to] of Object.entries(rewrite))
      if (loc.startsWith(from)) loc = to + loc.slice(from.length);
    if (loc.startsWith('file:'))
      return fileURLToPath(loc.startsWith('file:///') ? loc : loc.replace(/^file:/, 'file://'));
    if (loc.startsWith('/')) return loc;
    throw validationError('UnsupportedLocation', `local file IO cannot open ${location}`);
  };
  return {
    async read(location) {
      try {
        return new Uint8Array(await readFile(toPath(location)));
      } catch (e) {
        throw protocolError('FileNotFound', `cannot read ${location}: ${(e as Error).message}`, e);
      }
    },
    async readRange(location, offset, length) {
      const all = await this.read(location);
      return all.subarray(offset, offset + length);
    },
    async size(location) {
      return (await stat(toPath(location))).size;
    },
    async write(location, bytes, opts) {
      const p = toPath(location);
      const flag = opts?.ifAbsent ? 'wx' : 'w';
      // The directory usually exists (data/ and metadata/ after the first write): create it only
      // when the write says it is missing, saving a recursive mkdir per file.
      try {
        await writeFile(p, bytes, { flag });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        await mkdir(dirname(p), { recursive: true });
        await writeFile(p, bytes, { flag });
      }
    },
    async delete(location) {
      await rm(toPath(location), { force: true });
    },
  };
}
