/**
 * A string column of a Parquet checkpoint (`add.path`, `add.stats`) read straight from its column
 * chunks' bytes: an index of where each row's string lies, strings made per row when asked for.
 *
 * - `add.stats` is by far the largest column (a JSON string per file, ~100 bytes) and most snapshot
 *   loads never read it, yet the public API reads statistics synchronously (`DeltaFile.stats`,
 *   `files({ filter })`). Its raw bytes are fetched with the checkpoint and indexed on the first
 *   statistics access.
 * - `add.path` is needed by every load (reconciliation keys, the file list) but not as a million
 *   strings: indexing its bytes here replaces parquet-wasm's decode and the IPC copy of the column.
 *
 * Why not a library: parquet-wasm decodes only asynchronously, and in a fresh process decoding
 * these two columns with it (plus the IPC copy to JS) was most of a 1M-add checkpoint load and
 * 400+ MB of RSS; hyparquet's row assembly took 5.6 s for the stats column alone. hyparquet's
 * page-header and RLE/bit-packed level readers and decompressors are reused; only the walk over
 * pages (PLAIN and dictionary encoded byte arrays, data page v1 and v2) is written here. Other
 * layouts (DELTA_* encodings, codecs without a synchronous decompressor) are not taken:
 * `byteArrayChunks` says no and the caller decodes the column with parquet-wasm instead.
 */
import * as zlib from 'node:zlib';
import type { ColumnMetaData, CompressionCodec, Compressors, FileMetaData } from 'hyparquet';
import { parquetSchema } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';

const zstd = (zlib as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;

const COMPRESSORS: Compressors = {
  GZIP: (input) => new Uint8Array(zlib.gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(zlib.brotliDecompressSync(input)),
  ...(zstd ? { ZSTD: (input: Uint8Array) => new Uint8Array(zstd(input)) } : {}),
};

const CODECS = new Set<CompressionCodec>([
  'UNCOMPRESSED',
  'SNAPPY',
  ...(Object.keys(COMPRESSORS) as CompressionCodec[]),
]);
const ENCODINGS = new Set(['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY', 'RLE', 'BIT_PACKED']);

/** Max definition level of a byte-array leaf, or undefined when it is repeated or absent. */
function maxDefinitionLevel(meta: FileMetaData, path: readonly string[]): number | undefined {
  let node = parquetSchema(meta);
  let def = 0;
  for (const name of path) {
    const next = node.children.find((c) => c.element.name === name);
    if (!next) return undefined;
    const rep = next.element.repetition_type;
    if (rep === 'REPEATED') return undefined;
    if (rep !== 'REQUIRED') def++;
    node = next;
  }
  return node.children.length === 0 && node.element.type === 'BYTE_ARRAY' ? def : undefined;
}

/** The chunks (one per row group) of leaf `path` if this module can read them, else undefined. */
export function byteArrayChunks(meta: FileMetaData, path: readonly string[]): ColumnMetaData[] | undefined {
  if (maxDefinitionLevel(meta, path) === undefined) return undefined;
  const name = path.join('.');
  const out: ColumnMetaData[] = [];
  for (const rg of meta.row_groups) {
    const m = rg.columns.find((c) => c.meta_data?.path_in_schema.join('.') === name)?.meta_data;
    if (!m || !CODECS.has(m.codec) || !m.encodings.every((e) => ENCODINGS.has(e))) return undefined;
    out.push(m);
  }
  return out;
}

/** Byte range of a column chunk in its file. */
export function chunkRange(m: ColumnMetaData): [number, number] {
  const data = Number(m.data_page_offset);
  const dict = m.dictionary_page_offset !== undefined ? Number(m.dictionary_page_offset) : undefined;
  // Some writers leave dictionary_page_offset 0 when there is none.
  const start = dict !== undefined && dict > 0 && dict < data ? dict : data;
  return [start, start + Number(m.total_compressed_size)];
}

/** Where each file row's string lies. */
export interface ByteArrayIndex {
  /** Per file row: page holding the string (-1: null), its offset and length there. */
  page: Int32Array;
  start: Int32Array;
  length: Int32Array;
  /** Page bytes, as Buffers for native UTF-8 decoding by range. */
  pages: Buffer[];
}

/** The string of file row `row` (null when the row has none). */
export function stringAt(ix: ByteArrayIndex, row: number): string | null {
  const p = row < ix.page.length ? ix.page[row]! : -1;
  if (p < 0) return null;
  const s = ix.start[row]!;
  return ix.pages[p]!.toString('utf8', s, s + ix.length[row]!);
}

type Chunks = Array<{ meta: ColumnMetaData; bytes: Uint8Array }>;

/** Statistics strings of one checkpoint file by file row, indexed on first use. */
export class LazyStatsColumn {
  readonly #meta: FileMetaData;
  readonly #chunks: Chunks;
  #index: ByteArrayIndex | null | undefined;

  constructor(meta: FileMetaData, chunks: Chunks) {
    this.#meta = meta;
    this.#chunks = chunks;
  }

  /** The stats string of file row `row`; null when absent or when the column cannot be read. */
  get(row: number): string | null {
    if (this.#index === undefined) {
      try {
        this.#index = indexByteArrays(this.#meta, ['add', 'stats'], this.#chunks);
      } catch {
        // Unreadable statistics only cost data skipping, never rows.
        this.#index = null;
      }
      this.#chunks.length = 0;
    }
    return this.#index ? stringAt(this.#index, row) : null;
  }
}

/** Indexes the strings of leaf `path` from the raw bytes of its chunks; throws on what it cannot read. */
export function indexByteArrays(meta: FileMetaData, path: readonly string[], chunks: Chunks): ByteArrayIndex {
  {
    const rows = Number(meta.num_rows);
    const maxDef = maxDefinitionLevel(meta, path);
    if (maxDef === undefined) throw new Error(`${path.join('.')} is not a byte-array column`);
    const defWidth = 32 - Math.clz32(maxDef);
    const ix: ByteArrayIndex = {
      page: new Int32Array(rows).fill(-1),
      start: new Int32Array(rows),
      length: new Int32Array(rows),
      pages: [],
    };
    let row = 0;
    for (const { meta: chunk, bytes } of chunks) {
      const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
      let dict: { page: number; start: Int32Array; length: Int32Array } | undefined;
      while (reader.offset < bytes.byteLength) {
        const header = parquetHeader(reader);
        const raw = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
        reader.offset += header.compressed_page_size;
        if (header.type === 'DICTIONARY_PAGE') {
          const page = decompressPage(raw, header.uncompressed_page_size, chunk.codec, COMPRESSORS);
          const n = header.dictionary_page_header!.num_values;
          const start = new Int32Array(n);
          const length = new Int32Array(n);
          const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
          let pos = 0;
          for (let i = 0; i < n; i++) {
            length[i] = view.getUint32(pos, true);
            start[i] = pos + 4;
            pos += 4 + length[i]!;
          }
          ix.pages.push(asBuffer(page));
          dict = { page: ix.pages.length - 1, start, length };
          continue;
        }
        let n: number;
        let encoding: string;
        let defs: Uint8Array;
        let values: Uint8Array;
        if (header.type === 'DATA_PAGE') {
          const h = header.data_page_header!;
          n = h.num_values;
          encoding = h.encoding;
          const page = decompressPage(raw, header.uncompressed_page_size, chunk.codec, COMPRESSORS);
          const r = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
          defs = new Uint8Array(n).fill(maxDef);
          if (maxDef > 0) {
            if (h.definition_level_encoding !== 'RLE') throw new Error('unsupported level encoding');
            readRleBitPackedHybrid(r, defWidth, defs);
          }
          values = page.subarray(r.offset);
        } else if (header.type === 'DATA_PAGE_V2') {
          const h = header.data_page_header_v2!;
          n = h.num_values;
          encoding = h.encoding;
          const levels = h.repetition_levels_byte_length + h.definition_levels_byte_length;
          defs = new Uint8Array(n).fill(maxDef);
          if (maxDef > 0) {
            const r = {
              view: new DataView(
                raw.buffer,
                raw.byteOffset + h.repetition_levels_byte_length,
                h.definition_levels_byte_length,
              ),
              offset: 0,
            };
            readRleBitPackedHybrid(r, defWidth, defs, h.definition_levels_byte_length);
          }
          const body = raw.subarray(levels);
          values = h.is_compressed
            ? decompressPage(body, header.uncompressed_page_size - levels, chunk.codec, COMPRESSORS)
            : body;
        } else continue; // index pages
        const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
        if (encoding === 'PLAIN') {
          ix.pages.push(asBuffer(values));
          const p = ix.pages.length - 1;
          let pos = 0;
          for (let i = 0; i < n; i++, row++) {
            if (defs[i] !== maxDef) continue;
            const len = view.getUint32(pos, true);
            ix.page[row] = p;
            ix.start[row] = pos + 4;
            ix.length[row] = len;
            pos += 4 + len;
          }
        } else if (encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY') {
          if (!dict) throw new Error('dictionary-encoded page without a dictionary');
          let present = 0;
          for (let i = 0; i < n; i++) if (defs[i] === maxDef) present++;
          const keys = new Int32Array(present);
          const width = values[0]!;
          if (width > 0) readRleBitPackedHybrid({ view, offset: 1 }, width, keys, values.byteLength - 1);
          let k = 0;
          for (let i = 0; i < n; i++, row++) {
            if (defs[i] !== maxDef) continue;
            const key = keys[k++]!;
            ix.page[row] = dict.page;
            ix.start[row] = dict.start[key]!;
            ix.length[row] = dict.length[key]!;
          }
        } else throw new Error(`unsupported encoding ${encoding}`);
      }
    }
    if (row !== rows) throw new Error(`${path.join('.')} has ${row} values for ${rows} rows`);
    return ix;
  }
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}
