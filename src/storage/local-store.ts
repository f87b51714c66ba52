/**
 * `ObjectStore` over a local directory. Keys map to paths below the root; listing walks only the
 * directories that can hold keys with the requested prefix and returns them in the same
 * lexicographic order S3 uses. Writes go to a temporary file first and are then published in one
 * step — `rename` for plain puts, `link` for create-only puts — so a concurrent reader never sees
 * half an object and, for `ifNoneMatch: '*'`, exactly one writer wins (`link` fails with EEXIST
 * like `open(O_CREAT|O_EXCL)`, but without exposing a partly written file the way `wx` would).
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StorageError } from './errors.js';
import type { GetOptions, ListOptions, ObjectInfo, ObjectStore, PutOptions } from './object-store.js';

function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e
    ? String((e as { code: unknown }).code)
    : undefined;
}

export function createLocalStore(rootDir: string): ObjectStore {
  const root = resolve(rootDir);
  const url = pathToFileURL(root).href;

  const pathOf = (key: string): string => {
    const p = resolve(root, key.replace(/^\/+/, ''));
    // Keys such as `../x` must not escape the store root.
    if (p !== root && !p.startsWith(root + sep)) {
      throw new StorageError({
        message: `key ${key} points outside ${url}`,
        kind: 'validation',
        store: url,
        key,
        operation: 'resolve',
      });
    }
    return p;
  };

  const fail = (operation: string, key: string, e: unknown): StorageError => {
    if (e instanceof StorageError) return e;
    const code = errnoCode(e);
    const aborted = code === 'ABORT_ERR';
    return new StorageError({
      message: `${operation} ${key} in ${url} failed: ${e instanceof Error ? e.message : String(e)}`,
      kind: aborted ? 'aborted' : 'network',
      ...(code === 'ENOENT' ? { status: 404 } : {}),
      ...(code === 'EEXIST' ? { status: 412 } : {}),
      ...(code !== undefined ? { code } : {}),
      store: url,
      key,
      operation,
      cause: e,
    });
  };

  const checkAborted = (signal: AbortSignal | undefined, operation: string, key: string): void => {
    if (signal?.aborted)
      throw new StorageError({
        message: `${operation} ${key} in ${url} aborted`,
        kind: 'aborted',
        store: url,
        key,
        operation,
        cause: signal.reason,
      });
  };

  async function get(key: string, opts: GetOptions = {}): Promise<Uint8Array> {
    checkAborted(opts.signal, 'get', key);
    try {
      const path = pathOf(key);
      if (!opts.range) {
        const buf = await readFile(path, opts.signal ? { signal: opts.signal } : {});
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      }
      const fh = await open(path, 'r');
      try {
        const out = new Uint8Array(opts.range.length);
        let done = 0;
        while (done < out.length) {
          const { bytesRead } = await fh.read(out, done, out.length - done, opts.range.offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === out.length ? out : out.subarray(0, done);
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw fail('get', key, e);
    }
  }

  async function head(key: string, opts: { signal?: AbortSignal } = {}): Promise<ObjectInfo | undefined> {
    checkAborted(opts.signal, 'head', key);
    try {
      const st = await stat(pathOf(key));
      if (!st.isFile()) return undefined;
      return { key, size: st.size, lastModified: st.mtime };
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return undefined;
      throw fail('head', key, e);
    }
  }

  async function put(
    key: string,
    body: Uint8Array | string,
    opts: PutOptions = {},
  ): Promise<{ etag?: string }> {
    checkAborted(opts.signal, 'put', key);
    const path = pathOf(key);
    const tmp = join(dirname(path), `.${randomUUID()}.tmp`);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(tmp, body);
      if (opts.ifNoneMatch === '*') {
        try {
          await link(tmp, path);
        } finally {
          await unlink(tmp).catch(() => undefined);
        }
      } else {
        await rename(tmp, path);
      }
      return {};
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw fail('put', key, e);
    }
  }

  async function* list(prefix: string, opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const found: ObjectInfo[] = [];
    // Recursive walk that only enters directories whose keys can start with `prefix`.
    const walk = async (dirKey: string): Promise<void> => {
      checkAborted(opts.signal, 'list', prefix);
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dirKey === '' ? root : pathOf(dirKey), { withFileTypes: true });
      } catch (e) {
        if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return;
        throw fail('list', prefix, e);
      }
      const subdirs: string[] = [];
      const files: string[] = [];
      for (const entry of entries) {
        const key = dirKey + entry.name;
        if (entry.isDirectory()) {
          const asDir = key + '/';
          if (asDir.startsWith(prefix) || prefix.startsWith(asDir)) subdirs.push(asDir);
        } else if (entry.isFile() && key.startsWith(prefix) && !/^\..*\.tmp$/.test(entry.name)) {
          if (opts.startAfter === undefined || key > opts.startAfter) files.push(key);
        }
      }
      await Promise.all(
        files.map(async (key) => {
          try {
            const st = await stat(pathOf(key));
            found.push({ key, size: st.size, lastModified: st.mtime });
          } catch (e) {
            // Deleted between readdir and stat: S3 listings are not snapshots either.
            if (errnoCode(e) !== 'ENOENT') throw fail('list', prefix, e);
          }
        }),
      );
      for (const d of subdirs) await walk(d);
    };
    await walk('');
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  }

  async function del(key: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    checkAborted(opts.signal, 'delete', key);
    try {
      await unlink(pathOf(key));
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return;
      throw fail('delete', key, e);
    }
  }

  return { url, get, head, put, list, delete: del };
}
