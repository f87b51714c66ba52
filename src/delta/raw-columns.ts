/**
 * Columns of a Parquet checkpoint read straight from their column chunks' bytes, without
 * parquet-wasm: what a snapshot load needs from a million `add` rows.
 *
 * - `add.path`, `add.stats` (byte arrays): an index of where each row's string lies, strings made
 *   per row when asked for. `add.stats` is by far the largest column (a JSON string per file, ~100
 *   bytes) and most loads never read it, yet the public API reads statistics synchronously
 *   (`DeltaFile.stats`, `files({ filter })`): its raw bytes are indexed on first statistics access.
 * - `add.size`, `add.modificationTime`, `add.dataChange`, `add.baseRowId`, ... (INT32, INT64,
 *   BOOLEAN): one Float64Array per column (NaN: null), decoded on first use (`LazyNumberColumn`).
 * - `add.partitionValues`, `add.tags` (MAP of string to string): per row a range of entries, each a
 *   key and a value located in the page bytes, read on first use; a row's object made when asked.
 * - The locator leaf of each rare action (`metaData.id`, `protocol.minReaderVersion`, ...): only
 *   its definition levels are read, to find the few rows holding the action; those rows are then
 *   assembled into objects from every leaf of the action (`readStructRows`: structs, lists and
 *   maps of scalars).
 *
 * Why not a library: parquet-wasm decodes only asynchronously (the public API reading these columns
 * is sync), and in a fresh process its decode of these columns plus the IPC copy to JS was most of a
 * 1M-add checkpoint load (~0.6 s of ~1.1 s CPU, 400+ MB RSS), its start-up (import, first-call
 * compilation) another ~0.1 s; hyparquet's row assembly took 5.6 s for the stats column alone and
 * ~2 s for two rare-action rows (it assembles whole pages: a million null levels). hyparquet's page
 * headers and decompressors are reused; the walk over pages (levels of data page v1 and v2, PLAIN
 * and dictionary values, RLE booleans) and the RLE / bit-packed hybrid decoding (`readHybrid`) are
 * written here. Other layouts (DELTA_* encodings, codecs without a synchronous decompressor,
 * deprecated BIT_PACKED levels, deeper nesting) throw or are refused up front (`rawChunks`), and
 * the caller decodes those columns with parquet-wasm.
 */
import * as zlib from 'node:zlib';
import type {
  ColumnMetaData,
  CompressionCodec,
  Compressors,
  FileMetaData,
  PageHeader,
  ParquetType,
} from 'hyparquet';
import { parquetSchema } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';

const zstd = (zlib as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;

/** Synchronous decompressors beyond hyparquet's own (SNAPPY, UNCOMPRESSED). */
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

/** A leaf column as the page walk needs it. */
export interface Leaf {
  path: readonly string[];
  type: ParquetType | undefined;
  maxDef: number;
  maxRep: number;
  /** Definition level at which each node of `path` (prefix) is defined. */
  defAt: number[];
  /** Whether each node of `path` is REPEATED / REQUIRED. */
  repeated: boolean[];
  required: boolean[];
}

/** The leaf at `path`, or undefined when `path` does not name a leaf. */
export function leafOf(meta: FileMetaData, path: readonly string[]): Leaf | undefined {
  let node = parquetSchema(meta);
  let def = 0;
  let rep = 0;
  const defAt: number[] = [];
  const repeated: boolean[] = [];
  const required: boolean[] = [];
  for (const name of path) {
    const next = node.children.find((c) => c.element.name === name);
    if (!next) return undefined;
    const r = next.element.repetition_type;
    if (r === 'REPEATED') {
      def++;
      rep++;
    } else if (r !== 'REQUIRED') def++;
    defAt.push(def);
    repeated.push(r === 'REPEATED');
    required.push(r === 'REQUIRED');
    node = next;
  }
  if (node.children.length > 0) return undefined;
  return { path, type: node.element.type, maxDef: def, maxRep: rep, defAt, repeated, required };
}

/** The chunks (one per row group) of leaf `path` if this module can read them, else undefined. */
export function rawChunks(meta: FileMetaData, path: readonly string[]): ColumnMetaData[] | undefined {
  const name = path.join('.');
  const out: ColumnMetaData[] = [];
  for (const rg of meta.row_groups) {
    const m = rg.columns.find((c) => c.meta_data?.path_in_schema.join('.') === name)?.meta_data;
    if (!m || !CODECS.has(m.codec) || !m.encodings.every((e) => ENCODINGS.has(e))) return undefined;
    out.push(m);
  }
  return out;
}

/** The chunks of a flat (not repeated) byte-array leaf this module can read, else undefined. */
export function byteArrayChunks(meta: FileMetaData, path: readonly string[]): ColumnMetaData[] | undefined {
  const leaf = leafOf(meta, path);
  if (!leaf || leaf.maxRep > 0 || leaf.type !== 'BYTE_ARRAY') return undefined;
  return rawChunks(meta, path);
}

/** Byte range of a column chunk in its file. */
export function chunkRange(m: ColumnMetaData): [number, number] {
  const data = Number(m.data_page_offset);
  const dict = m.dictionary_page_offset !== undefined ? Number(m.dictionary_page_offset) : undefined;
  // Some writers leave dictionary_page_offset 0 when there is none.
  const start = dict !== undefined && dict > 0 && dict < data ? dict : data;
  return [start, start + Number(m.total_compressed_size)];
}

export type Chunks = Array<{ meta: ColumnMetaData; bytes: Uint8Array }>;

/**
 * One data page: its levels (undefined: none stored; valid during the `onData` call that is given
 * the page only, their buffers are reused) and its still encoded values.
 */
interface Page {
  /** Level count (rows for a flat leaf). */
  n: number;
  encoding: string;
  reps: Uint8Array | undefined;
  defs: Uint8Array | undefined;
  values: Uint8Array;
}

const widthOf = (maxLevel: number): number => 32 - Math.clz32(maxLevel);

/**
 * The RLE / bit-packed hybrid encoding (levels, dictionary indices, RLE booleans) into a typed
 * array, from `reader.offset`; `length`: byte length of the encoded data, undefined when it is
 * prefixed by 4 bytes. The reader is left after the data.
 *
 * hyparquet's `readRleBitPackedHybrid` writes element by element into whatever array it is given
 * (polymorphic stores; a run of a million equal levels is a million stores): in a 1M-add checkpoint
 * profile it was most of the time spent on levels and dictionary indices. Here a run is one
 * `fill` and bit-packed groups are unpacked through a small bit buffer. Widths above 24 bits (not
 * met in checkpoints: a dictionary of 16M entries) are left to hyparquet's reader.
 */
function readHybrid(
  reader: { view: DataView; offset: number },
  width: number,
  out: Uint8Array | Int32Array,
  length?: number,
): void {
  if (width > 24) {
    readRleBitPackedHybrid(reader, width, out, length);
    return;
  }
  const { view } = reader;
  let pos = reader.offset;
  if (length === undefined) {
    length = view.getUint32(pos, true);
    pos += 4;
  }
  const end = pos + length;
  if (end > view.byteLength) throw new Error('hybrid-encoded data overruns its page');
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const count = out.length;
  const mask = width === 0 ? 0 : (1 << width) - 1;
  const valueBytes = (width + 7) >> 3;
  let seen = 0;
  while (seen < count && pos < end) {
    // ULEB128 run header.
    let header = 0;
    let shift = 0;
    let b: number;
    do {
      b = bytes[pos++]!;
      header += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    if (header % 2 === 1) {
      // Bit-packed: groups of 8 values, `width` bits each, least significant bit first.
      const groups = Math.floor(header / 2);
      const stop = pos + groups * width;
      const n = Math.min(groups * 8, count - seen);
      let buf = 0;
      let bits = 0;
      let p = pos;
      for (let j = 0; j < n; j++) {
        while (bits < width) {
          buf |= bytes[p++]! << bits;
          bits += 8;
        }
        out[seen++] = buf & mask;
        buf >>>= width;
        bits -= width;
      }
      pos = stop;
    } else {
      const run = Math.floor(header / 2);
      let value = 0;
      for (let i = 0; i < valueBytes; i++) value |= bytes[pos++]! << (i * 8);
      const to = Math.min(count, seen + run);
      out.fill(value, seen, to);
      seen = to;
    }
  }
  if (seen < count) throw new Error('hybrid-encoded data ends early');
  reader.offset = end;
}

/**
 * Level buffers reused from page to page and walk to walk: every consumer of a page's levels reads
 * them during its `onData` call only. The leaves of rare actions hold a million levels a page (one
 * RLE run), and a fresh pair of buffers per leaf was ~20 ms of a 1M-add load (allocation and the
 * collections it brought on). A walk started while another runs (none does) gets fresh buffers.
 */
const levelScratch: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];
let levelScratchInUse = false;

/**
 * Walks the pages of every chunk of `leaf`: dictionary pages are decompressed and handed to
 * `onDictionary`, data pages (v1 and v2) have their levels decoded and go to `onData`; `onChunk`
 * is told when a new chunk (its dictionary no longer applies) starts. Index pages are skipped.
 * A page's levels are valid during its `onData` call only: their buffers are reused.
 */
function walkPages(
  leaf: Leaf,
  chunks: Chunks,
  onChunk: () => void,
  onDictionary: (page: Uint8Array, n: number) => void,
  onData: (page: Page) => void,
  levelsOnly = false,
): void {
  const reuse = !levelScratchInUse;
  levelScratchInUse = true;
  try {
    walkChunks(leaf, chunks, onChunk, onDictionary, onData, levelsOnly, (which, n) => {
      if (!reuse) return new Uint8Array(n);
      if (levelScratch[which]!.length < n) levelScratch[which] = new Uint8Array(n);
      return levelScratch[which]!.subarray(0, n);
    });
  } finally {
    if (reuse) levelScratchInUse = false;
  }
}

/** `walkPages` with the level buffers given by `levelBuffer` (0: repetition, 1: definition). */
function walkChunks(
  leaf: Leaf,
  chunks: Chunks,
  onChunk: () => void,
  onDictionary: (page: Uint8Array, n: number) => void,
  onData: (page: Page) => void,
  levelsOnly: boolean,
  levelBuffer: (which: 0 | 1, n: number) => Uint8Array,
): void {
  const { maxDef, maxRep } = leaf;
  for (const { meta: chunk, bytes } of chunks) {
    onChunk();
    const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
    while (reader.offset < bytes.byteLength) {
      const header: PageHeader = parquetHeader(reader);
      const raw = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
      reader.offset += header.compressed_page_size;
      if (header.type === 'DICTIONARY_PAGE') {
        if (levelsOnly) continue;
        const page = decompressPage(raw, header.uncompressed_page_size, chunk.codec, COMPRESSORS);
        onDictionary(page, header.dictionary_page_header!.num_values);
      } else if (header.type === 'DATA_PAGE') {
        const h = header.data_page_header!;
        const n = h.num_values;
        const page = decompressPage(raw, header.uncompressed_page_size, chunk.codec, COMPRESSORS);
        const r = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
        let reps: Uint8Array | undefined;
        let defs: Uint8Array | undefined;
        if (maxRep > 0) {
          if (h.repetition_level_encoding !== 'RLE') throw new Error('unsupported level encoding');
          reps = levelBuffer(0, n);
          readHybrid(r, widthOf(maxRep), reps);
        }
        if (maxDef > 0) {
          if (h.definition_level_encoding !== 'RLE') throw new Error('unsupported level encoding');
          defs = levelBuffer(1, n);
          readHybrid(r, widthOf(maxDef), defs);
        }
        onData({ n, encoding: h.encoding, reps, defs, values: page.subarray(r.offset) });
      } else if (header.type === 'DATA_PAGE_V2') {
        const h = header.data_page_header_v2!;
        const n = h.num_values;
        const repLen = h.repetition_levels_byte_length;
        const defLen = h.definition_levels_byte_length;
        const levels = (which: 0 | 1, at: number, len: number, max: number): Uint8Array | undefined => {
          if (max === 0) return undefined;
          const out = levelBuffer(which, n);
          const view = new DataView(raw.buffer, raw.byteOffset + at, len);
          readHybrid({ view, offset: 0 }, widthOf(max), out, len);
          return out;
        };
        const reps = levels(0, 0, repLen, maxRep);
        const defs = levels(1, repLen, defLen, maxDef);
        const body = raw.subarray(repLen + defLen);
        const values =
          levelsOnly || h.is_compressed === false
            ? body
            : decompressPage(body, header.uncompressed_page_size - repLen - defLen, chunk.codec, COMPRESSORS);
        onData({ n, encoding: h.encoding, reps, defs, values });
      }
    }
  }
}

/** Where each string of a column lies: in page `page[i]` (-1: null) at `start[i]`, `length[i]` bytes. */
export interface ByteArrayIndex {
  page: Int32Array;
  start: Int32Array;
  length: Int32Array;
  /** Page bytes, as Buffers for native UTF-8 decoding by range. */
  pages: Buffer[];
}

/** The string of slot `row` (null when it has none). */
export function stringAt(ix: ByteArrayIndex, row: number): string | null {
  const p = row < ix.page.length ? ix.page[row]! : -1;
  if (p < 0) return null;
  const s = ix.start[row]!;
  return ix.pages[p]!.toString('utf8', s, s + ix.length[row]!);
}

/** A dictionary of byte arrays: positions in page `page` of `pages`. */
interface ByteDictionary {
  page: number;
  start: Int32Array;
  length: Int32Array;
}

/**
 * Locates the byte arrays of one data page: value k (k-th present value) goes to slot `slots[k]`
 * of `ix` (`slots` null: slot `base + k`, `present` values). PLAIN values are length-prefixed in
 * the page; dictionary indices are RLE/bit-packed.
 */
function locateByteArrays(
  page: Page,
  slots: Int32Array | null,
  base: number,
  present: number,
  dict: ByteDictionary | undefined,
  ix: ByteArrayIndex,
): void {
  const { values, encoding } = page;
  if (present === 0) return;
  const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
  if (encoding === 'PLAIN') {
    ix.pages.push(asBuffer(values));
    const p = ix.pages.length - 1;
    let pos = 0;
    for (let k = 0; k < present; k++) {
      const slot = slots ? slots[k]! : base + k;
      const len = view.getUint32(pos, true);
      ix.page[slot] = p;
      ix.start[slot] = pos + 4;
      ix.length[slot] = len;
      pos += 4 + len;
    }
    if (pos > values.byteLength) throw new Error('byte array page overrun');
  } else if (encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY') {
    if (!dict) throw new Error('dictionary-encoded page without a dictionary');
    const keys = dictionaryKeys(values, view, present);
    const size = dict.start.length;
    for (let k = 0; k < present; k++) {
      const key = keys[k]!;
      if (key >= size) throw new Error('dictionary index out of range');
      const slot = slots ? slots[k]! : base + k;
      ix.page[slot] = dict.page;
      ix.start[slot] = dict.start[key]!;
      ix.length[slot] = dict.length[key]!;
    }
  } else throw new Error(`unsupported encoding ${encoding}`);
}

function dictionaryKeys(values: Uint8Array, view: DataView, present: number): Int32Array {
  const keys = new Int32Array(present);
  const width = values[0]!;
  if (width > 0) readHybrid({ view, offset: 1 }, width, keys, values.byteLength - 1);
  return keys;
}

function byteDictionary(page: Uint8Array, n: number, ix: ByteArrayIndex): ByteDictionary {
  const start = new Int32Array(n);
  const length = new Int32Array(n);
  const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    length[i] = view.getUint32(pos, true);
    start[i] = pos + 4;
    pos += 4 + length[i]!;
  }
  if (pos > page.byteLength) throw new Error('dictionary page overrun');
  ix.pages.push(asBuffer(page));
  return { page: ix.pages.length - 1, start, length };
}

/**
 * Slots of the present values of a flat page starting at row `row`: null when every row of the page
 * holds a value (slot of value k: `row + k`), else the rows whose level is `maxDef`.
 */
function presentRows(page: Page, row: number, maxDef: number): Int32Array | null {
  const { n, defs } = page;
  if (!defs) return null;
  let present = 0;
  for (let i = 0; i < n; i++) if (defs[i] === maxDef) present++;
  if (present === n) return null;
  const slots = new Int32Array(present);
  let k = 0;
  for (let i = 0; i < n; i++) if (defs[i] === maxDef) slots[k++] = row + i;
  return slots;
}

function flatLeaf(meta: FileMetaData, path: readonly string[], types: ReadonlyArray<ParquetType>): Leaf {
  const leaf = leafOf(meta, path);
  if (!leaf || leaf.maxRep > 0 || !leaf.type || !types.includes(leaf.type))
    throw new Error(`${path.join('.')} is not a flat ${types.join('/')} column`);
  return leaf;
}

/** Indexes the strings of flat leaf `path` from the raw bytes of its chunks; throws on what it cannot read. */
export function indexByteArrays(meta: FileMetaData, path: readonly string[], chunks: Chunks): ByteArrayIndex {
  const rows = Number(meta.num_rows);
  const leaf = flatLeaf(meta, path, ['BYTE_ARRAY']);
  const ix: ByteArrayIndex = {
    page: new Int32Array(rows).fill(-1),
    start: new Int32Array(rows),
    length: new Int32Array(rows),
    pages: [],
  };
  let row = 0;
  let dict: ByteDictionary | undefined;
  walkPages(
    leaf,
    chunks,
    () => {
      dict = undefined;
    },
    (page, n) => {
      dict = byteDictionary(page, n, ix);
    },
    (page) => {
      if (row + page.n > rows) throw new Error(`${path.join('.')} has more values than rows`);
      const slots = presentRows(page, row, leaf.maxDef);
      locateByteArrays(page, slots, row, slots ? slots.length : page.n, dict, ix);
      row += page.n;
    },
  );
  if (row !== rows) throw new Error(`${path.join('.')} has ${row} values for ${rows} rows`);
  return ix;
}

/**
 * Reads the numbers of one page into `out` (INT32, INT64 within 2^53, BOOLEAN as 0/1): value k
 * goes to `slots[k]` (`slots` null: `base + k`, `present` values).
 */
function readNumbers(
  type: ParquetType,
  page: Page,
  slots: Int32Array | null,
  base: number,
  present: number,
  dict: Float64Array | undefined,
  out: Float64Array,
): void {
  const { values, encoding } = page;
  if (present === 0) return;
  const view = new DataView(values.buffer, values.byteOffset, values.byteLength);
  if (encoding === 'PLAIN') {
    const need = type === 'INT64' ? present * 8 : type === 'INT32' ? present * 4 : (present + 7) >> 3;
    if (need > values.byteLength) throw new Error('page too short for its values');
    for (let k = 0; k < present; k++) {
      const v =
        type === 'INT64'
          ? view.getUint32(k * 8, true) + view.getInt32(k * 8 + 4, true) * 2 ** 32
          : type === 'INT32'
            ? view.getInt32(k * 4, true)
            : (values[k >> 3]! >> (k & 7)) & 1;
      out[slots ? slots[k]! : base + k] = v;
    }
  } else if (encoding === 'RLE' && type === 'BOOLEAN') {
    // Booleans RLE-encoded are prefixed by their byte length, in data pages v1 and v2.
    const bits = new Uint8Array(present);
    readHybrid({ view, offset: 0 }, 1, bits);
    for (let k = 0; k < present; k++) out[slots ? slots[k]! : base + k] = bits[k]!;
  } else if (encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY') {
    if (!dict) throw new Error('dictionary-encoded page without a dictionary');
    const keys = dictionaryKeys(values, view, present);
    const size = dict.length;
    for (let k = 0; k < present; k++) {
      const key = keys[k]!;
      if (key >= size) throw new Error('dictionary index out of range');
      out[slots ? slots[k]! : base + k] = dict[key]!;
    }
  } else throw new Error(`unsupported encoding ${encoding} of ${type}`);
}

/**
 * The values of flat INT32 / INT64 / BOOLEAN leaf `path` by row, NaN where null (BOOLEAN: 0 / 1).
 * INT64 values beyond 2^53 lose precision (sizes, times and row ids never get there).
 */
export function readNumberColumn(meta: FileMetaData, path: readonly string[], chunks: Chunks): Float64Array {
  const rows = Number(meta.num_rows);
  const leaf = flatLeaf(meta, path, ['INT32', 'INT64', 'BOOLEAN']);
  const type = leaf.type!;
  const out = new Float64Array(rows).fill(Number.NaN);
  let row = 0;
  let dict: Float64Array | undefined;
  walkPages(
    leaf,
    chunks,
    () => {
      dict = undefined;
    },
    (page, n) => {
      dict = new Float64Array(n);
      const plain = { n, encoding: 'PLAIN', reps: undefined, defs: undefined, values: page };
      readNumbers(type, plain, null, 0, n, undefined, dict);
    },
    (page) => {
      if (row + page.n > rows) throw new Error(`${path.join('.')} has more values than rows`);
      const slots = presentRows(page, row, leaf.maxDef);
      readNumbers(type, page, slots, row, slots ? slots.length : page.n, dict, out);
      row += page.n;
    },
  );
  if (row !== rows) throw new Error(`${path.join('.')} has ${row} values for ${rows} rows`);
  return out;
}

/**
 * Checks, from page headers only (no page is decompressed), that every data page of `leaf` has a
 * value encoding in `encodings` and RLE levels: what the page walk decodes. Lets a column decoded
 * on first use be refused at load time, when the caller can still decode it another way.
 */
function checkPages(leaf: Leaf, chunks: Chunks, encodings: ReadonlySet<string>): void {
  const name = leaf.path.join('.');
  for (const { bytes } of chunks) {
    const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
    while (reader.offset < bytes.byteLength) {
      const header: PageHeader = parquetHeader(reader);
      reader.offset += header.compressed_page_size;
      if (reader.offset > bytes.byteLength) throw new Error(`${name}: page overruns its chunk`);
      let encoding: string | undefined;
      if (header.type === 'DATA_PAGE') {
        const h = header.data_page_header!;
        if (
          (leaf.maxRep > 0 && h.repetition_level_encoding !== 'RLE') ||
          (leaf.maxDef > 0 && h.definition_level_encoding !== 'RLE')
        )
          throw new Error(`${name}: unsupported level encoding`);
        encoding = h.encoding;
      } else if (header.type === 'DATA_PAGE_V2') encoding = header.data_page_header_v2!.encoding;
      if (encoding !== undefined && !encodings.has(encoding))
        throw new Error(`${name}: unsupported encoding ${encoding}`);
    }
  }
}

const DICTIONARY_ENCODINGS = ['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY'];
const BYTE_ARRAY_ENCODINGS = new Set(DICTIONARY_ENCODINGS);
const INT_ENCODINGS = new Set(DICTIONARY_ENCODINGS);
const BOOLEAN_ENCODINGS = new Set([...DICTIONARY_ENCODINGS, 'RLE']);

/**
 * A flat INT32 / INT64 / BOOLEAN column (`add.size`, `add.dataChange`, ...) decoded on first use,
 * every row at once (`readNumberColumn`): a snapshot load and `files()` never read these (a file's
 * fields are read when asked for), and decoding five of them was ~10% of a 1M-add load. The layout
 * is checked when made (leaf type, page encodings and levels from the page headers), so a layout
 * this module does not decode throws there and the caller decodes the column another way; bytes
 * that still do not decode are a corrupt checkpoint, reported on access.
 */
/**
 * Makes the error a lazily decoded column throws on first access when its bytes do not decode;
 * the checkpoint reader passes one that builds a typed `DeltaError` naming the file.
 */
export type ColumnErrorFactory = (message: string, cause: unknown) => Error;
const plainError: ColumnErrorFactory = (message, cause) => new Error(message, { cause });

export class LazyNumberColumn {
  readonly #name: string;
  readonly #boolean: boolean;
  #read: (() => Float64Array) | undefined;
  #values: Float64Array | undefined;
  #error: Error | undefined;

  readonly #onError: ColumnErrorFactory;

  constructor(
    meta: FileMetaData,
    path: readonly string[],
    chunks: Chunks,
    onError: ColumnErrorFactory = plainError,
  ) {
    this.#onError = onError;
    const leaf = flatLeaf(meta, path, ['INT32', 'INT64', 'BOOLEAN']);
    this.#boolean = leaf.type === 'BOOLEAN';
    checkPages(leaf, chunks, this.#boolean ? BOOLEAN_ENCODINGS : INT_ENCODINGS);
    this.#name = path.join('.');
    this.#read = () => readNumberColumn(meta, path, chunks);
  }

  /** The value of row `row` (BOOLEAN: a boolean), null when null. */
  get(row: number): number | boolean | null {
    const values = this.#values ?? this.#decode();
    const v = values[row];
    if (v === undefined || Number.isNaN(v)) return null;
    return this.#boolean ? v === 1 : v;
  }

  #decode(): Float64Array {
    if (this.#error) throw this.#error;
    try {
      this.#values = this.#read!();
      this.#read = undefined; // Drops the chunk bytes.
      return this.#values;
    } catch (e) {
      this.#error = this.#onError(
        `checkpoint column ${this.#name} is unreadable: ${(e as Error).message}`,
        e,
      );
      throw this.#error;
    }
  }
}

/**
 * The rows where flat leaf `path` is defined at least to `level` (e.g. the level of its top-level
 * struct: the rows holding that action), ascending. Only levels are read.
 */
export function definedRows(
  meta: FileMetaData,
  path: readonly string[],
  level: number,
  chunks: Chunks,
): number[] {
  const rows = Number(meta.num_rows);
  const leaf = leafOf(meta, path);
  if (!leaf || leaf.maxRep > 0) throw new Error(`${path.join('.')} is not a flat column`);
  const out: number[] = [];
  let row = 0;
  walkPages(
    leaf,
    chunks,
    () => undefined,
    () => undefined,
    (page) => {
      const { n, defs } = page;
      for (let i = 0; i < n; i++) if (!defs || defs[i]! >= level) out.push(row + i);
      row += n;
    },
    true,
  );
  if (row !== rows) throw new Error(`${path.join('.')} has ${row} values for ${rows} rows`);
  return out;
}

/** Where the key and value leaves of a string-to-string MAP column lie, and their levels. */
export interface StringMapLayout {
  key: Leaf;
  value: Leaf;
  /** Level at which the map itself is defined (lower: null map, or null parent). */
  mapDef: number;
  /** Level at which an entry exists (lower at a row start: empty or null map). */
  entryDef: number;
}

/**
 * The layout of MAP column `path` (`path` → repeated `key_value` → `key`, `value`, both byte
 * arrays), or undefined when it is something else (then the caller decodes it another way).
 */
export function stringMapLayout(meta: FileMetaData, path: readonly string[]): StringMapLayout | undefined {
  let node = parquetSchema(meta);
  for (const name of path) {
    const next = node.children.find((c) => c.element.name === name);
    if (!next) return undefined;
    node = next;
  }
  const kv = node.children.length === 1 ? node.children[0] : undefined;
  if (kv?.element.repetition_type !== 'REPEATED' || kv.children.length !== 2) return undefined;
  const [k, v] = kv.children as [(typeof kv.children)[0], (typeof kv.children)[0]];
  const key = leafOf(meta, [...path, kv.element.name, k.element.name]);
  const value = leafOf(meta, [...path, kv.element.name, v.element.name]);
  if (!key || !value || key.type !== 'BYTE_ARRAY' || value.type !== 'BYTE_ARRAY') return undefined;
  // The key_value group must be the only repeated node (no map inside a list).
  if (key.maxRep !== 1 || !key.repeated[path.length] || !key.required[path.length + 1]) return undefined;
  return { key, value, mapDef: key.defAt[path.length - 1]!, entryDef: key.defAt[path.length]! };
}

/** A string-to-string MAP column: per row a range of entries; objects made on demand. */
export class StringMapColumn {
  /** Entries of row r: `[first[r], first[r + 1])`; `first` has rows + 1 items. */
  readonly #first: Int32Array;
  /** Per row: 1 when the map (or its parent) is null. */
  readonly #isNull: Uint8Array;
  readonly #keys: ByteArrayIndex;
  readonly #values: ByteArrayIndex;

  constructor(first: Int32Array, isNull: Uint8Array, keys: ByteArrayIndex, values: ByteArrayIndex) {
    this.#first = first;
    this.#isNull = isNull;
    this.#keys = keys;
    this.#values = values;
  }

  /** The map of row `row` as an object, or null when the map is null. */
  get(row: number): Record<string, string | null> | null {
    if (row >= this.#isNull.length || this.#isNull[row] === 1) return null;
    const out: Record<string, string | null> = {};
    for (let e = this.#first[row]!; e < this.#first[row + 1]!; e++)
      out[stringAt(this.#keys, e)!] = stringAt(this.#values, e);
    return out;
  }
}

/**
 * Reads a string-to-string MAP column from the raw chunks of its key and value leaves. Rows start
 * where the repetition level is 0; an entry exists where the definition level reaches the
 * key_value group; a value is null where it stops below the value leaf's maximum.
 */
export function readStringMap(
  meta: FileMetaData,
  layout: StringMapLayout,
  keyChunks: Chunks,
  valueChunks: Chunks,
): StringMapColumn {
  const rows = Number(meta.num_rows);
  const { key, value, mapDef, entryDef } = layout;
  let levels = 0;
  for (const c of keyChunks) levels += Number(c.meta.num_values);
  const first = new Int32Array(rows + 1);
  const isNull = new Uint8Array(rows);
  const newIndex = (): ByteArrayIndex => ({
    page: new Int32Array(levels).fill(-1),
    start: new Int32Array(levels),
    length: new Int32Array(levels),
    pages: [],
  });
  const keys = newIndex();
  const values = newIndex();

  // Keys: row boundaries, null maps and entry count come from the key leaf's levels.
  let row = -1;
  let entries = 0;
  let dict: ByteDictionary | undefined;
  walkPages(
    key,
    keyChunks,
    () => {
      dict = undefined;
    },
    (page, n) => {
      dict = byteDictionary(page, n, keys);
    },
    (page) => {
      const { n, reps, defs } = page;
      let present = 0;
      for (let i = 0; i < n; i++) if (defs![i]! >= entryDef) present++;
      const slots = new Int32Array(present);
      let k = 0;
      for (let i = 0; i < n; i++) {
        const d = defs![i]!;
        if (reps![i] === 0) {
          row++;
          if (row >= rows) throw new Error(`${key.path.join('.')} has more rows than the file`);
          first[row] = entries;
          if (d < mapDef) isNull[row] = 1;
        }
        if (d >= entryDef) {
          if (row < 0) throw new Error(`${key.path.join('.')} starts within a row`);
          slots[k++] = entries++;
        }
      }
      locateByteArrays(page, slots, 0, present, dict, keys);
    },
  );
  if (row !== rows - 1) throw new Error(`${key.path.join('.')} has ${row + 1} rows for ${rows}`);
  first[rows] = entries;

  // Values: the same entries in the same order; null where the level stops below the value.
  let entry = 0;
  dict = undefined;
  walkPages(
    value,
    valueChunks,
    () => {
      dict = undefined;
    },
    (page, n) => {
      dict = byteDictionary(page, n, values);
    },
    (page) => {
      const { n, defs } = page;
      let present = 0;
      for (let i = 0; i < n; i++) if (defs![i] === value.maxDef) present++;
      const slots = new Int32Array(present);
      let k = 0;
      for (let i = 0; i < n; i++) {
        const d = defs![i]!;
        if (d < entryDef) continue;
        if (entry >= entries) throw new Error(`${value.path.join('.')} has more entries than its keys`);
        if (d === value.maxDef) slots[k++] = entry;
        entry++;
      }
      locateByteArrays(page, slots, 0, present, dict, values);
    },
  );
  if (entry !== entries) throw new Error(`${value.path.join('.')} has ${entry} entries for ${entries} keys`);
  return new StringMapColumn(first, isNull, keys, values);
}

/**
 * A string-to-string MAP column read from its raw chunks on first use: partition values and tags
 * are read by few loads (partition filters, `DeltaFile.partitionValues`), and their entries are
 * often as many as the rows. Its layout was checked when planned (`stringMapLayout`, `rawChunks`)
 * and when made (page encodings and levels from the page headers: a layout the page walk does not
 * decode throws there, and the caller decodes the column another way); bytes that still do not
 * decode are a corrupt checkpoint, reported on access.
 */
export class LazyStringMap {
  readonly #read: () => StringMapColumn;
  readonly #name: string;
  #column: StringMapColumn | undefined;
  #error: Error | undefined;

  constructor(
    meta: FileMetaData,
    layout: StringMapLayout,
    keyChunks: Chunks,
    valueChunks: Chunks,
    name: string,
    private readonly onError: ColumnErrorFactory = plainError,
  ) {
    checkPages(layout.key, keyChunks, BYTE_ARRAY_ENCODINGS);
    checkPages(layout.value, valueChunks, BYTE_ARRAY_ENCODINGS);
    this.#read = () => readStringMap(meta, layout, keyChunks, valueChunks);
    this.#name = name;
  }

  get(row: number): Record<string, string | null> | null {
    if (!this.#column) {
      if (this.#error) throw this.#error;
      try {
        this.#column = this.#read();
      } catch (e) {
        this.#error = this.onError(
          `checkpoint column ${this.#name} is unreadable: ${(e as Error).message}`,
          e,
        );
        throw this.#error;
      }
    }
    return this.#column.get(row);
  }
}

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

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** What one leaf holds at one row: its levels, each with a value (undefined: not defined to it). */
type LeafLevels = Array<{ def: number; value: unknown }>;

/** Decoded values of one data page (only made for pages holding a wanted value). */
function pageValues(leaf: Leaf, page: Page, present: number, dict: unknown): (k: number) => unknown {
  if (leaf.type === 'BYTE_ARRAY') {
    const ix: ByteArrayIndex = {
      page: new Int32Array(present),
      start: new Int32Array(present),
      length: new Int32Array(present),
      pages: [],
    };
    const d = dict as { dict: ByteDictionary; ix: ByteArrayIndex } | undefined;
    if (d) ix.pages.push(...d.ix.pages);
    locateByteArrays(page, null, 0, present, d?.dict, ix);
    return (k) => stringAt(ix, k);
  }
  if (!leaf.type || !NUMBER_LEAVES.has(leaf.type)) throw new Error(`unsupported type ${leaf.type}`);
  const out = new Float64Array(present);
  readNumbers(leaf.type, page, null, 0, present, dict as Float64Array | undefined, out);
  return leaf.type === 'BOOLEAN' ? (k) => out[k] === 1 : (k) => out[k];
}

const NUMBER_LEAVES = new Set<ParquetType>(['INT32', 'INT64', 'BOOLEAN']);

/** The levels and values of `leaf` at the rows `wanted` (ascending). */
function leafAtRows(
  meta: FileMetaData,
  leaf: Leaf,
  chunks: Chunks,
  wanted: readonly number[],
): Map<number, LeafLevels> {
  const rows = Number(meta.num_rows);
  const out = new Map<number, LeafLevels>();
  for (const r of wanted) out.set(r, []);
  const { maxDef, maxRep } = leaf;
  let row = maxRep > 0 ? -1 : 0;
  let next = 0; // index into wanted
  let dict: unknown;
  walkPages(
    leaf,
    chunks,
    () => {
      dict = undefined;
    },
    (bytes, n) => {
      if (leaf.type === 'BYTE_ARRAY') {
        const ix: ByteArrayIndex = {
          page: new Int32Array(0),
          start: new Int32Array(0),
          length: new Int32Array(0),
          pages: [],
        };
        dict = { dict: byteDictionary(bytes, n, ix), ix };
      } else if (leaf.type && NUMBER_LEAVES.has(leaf.type)) {
        const d = new Float64Array(n);
        readNumbers(
          leaf.type,
          { n, encoding: 'PLAIN', reps: undefined, defs: undefined, values: bytes },
          null,
          0,
          n,
          undefined,
          d,
        );
        dict = d;
      } else throw new Error(`unsupported type ${leaf.type}`);
    },
    (page) => {
      const { n, defs, reps } = page;
      const hits: Array<{ row: number; def: number; k: number }> = [];
      if (maxRep === 0) {
        // Flat: level i is row `row + i`; only the wanted rows of this page are looked at, and
        // the values before them counted once (`scanned`, `before`: values in levels [0, scanned)).
        let scanned = 0;
        let before = 0;
        while (next < wanted.length && wanted[next]! < row + n) {
          const i = wanted[next]! - row;
          const def = defs ? defs[i]! : maxDef;
          if (defs) for (; scanned < i; scanned++) if (defs[scanned] === maxDef) before++;
          hits.push({ row: wanted[next]!, def, k: def !== maxDef ? -1 : defs ? before : i });
          next++;
        }
        row += n;
      } else {
        // One list or map level (readStructRows refuses deeper nesting): a level starts a row
        // (repetition 0) or goes on with it (1). Outside the few rows of a rare action every
        // level starts a row, so a run of row starts is found natively (`indexOf`) and passed
        // over by arithmetic: looking at each of a million levels was ~15 ms per leaf, ~0.1 s
        // of a 1M-add load. Value k of a hit counts the defined values before it, counted up to
        // the hit only (`scanned`, `before`: defined values in levels [0, scanned)).
        if (maxRep !== 1) throw new Error(`${leaf.path.join('.')} is nested too deeply`);
        const r = reps!;
        const d = defs!;
        let scanned = 0;
        let before = 0;
        const hit = (i: number, at: number): void => {
          const def = d[i]!;
          if (def !== maxDef) {
            hits.push({ row: at, def, k: -1 });
            return;
          }
          for (; scanned < i; scanned++) if (d[scanned] === maxDef) before++;
          hits.push({ row: at, def, k: before });
        };
        let i = 0;
        while (i < n) {
          if (r[i] === 0) {
            // Levels [i, j) start rows row + 1 ... last.
            let j = r.indexOf(1, i);
            if (j < 0) j = n;
            const last = row + (j - i);
            while (next < wanted.length && wanted[next]! <= last) {
              const w = wanted[next]!;
              if (w > row) hit(i + (w - row - 1), w);
              if (w === last) break; // Its row may go on at level j.
              next++;
            }
            row = last;
            i = j;
          } else {
            // Levels [i, j) go on with row `row`.
            let j = r.indexOf(0, i);
            if (j < 0) j = n;
            if (next < wanted.length && wanted[next] === row) for (let m = i; m < j; m++) hit(m, row);
            i = j;
          }
        }
      }
      if (hits.length === 0) return;
      let present = n;
      if (defs) {
        present = 0;
        for (let i = 0; i < n; i++) if (defs[i] === maxDef) present++;
      }
      const valueAt = hits.some((h) => h.k >= 0) ? pageValues(leaf, page, present, dict) : undefined;
      for (const h of hits) out.get(h.row)!.push({ def: h.def, value: h.k >= 0 ? valueAt!(h.k) : undefined });
    },
  );
  if ((maxRep > 0 ? row + 1 : row) !== rows)
    throw new Error(`${leaf.path.join('.')} does not cover the file's rows`);
  return out;
}

/**
 * The struct column `name` (a rare action: `metaData`, `protocol`, ...) at rows `wanted`, as
 * plain objects: null fields left out, INT64 as numbers, lists as arrays, string maps as objects
 * (null values left out). Leaves more deeply repeated than one list or map throw: the caller then
 * decodes these rows with parquet-wasm.
 */
export function readStructRows(
  meta: FileMetaData,
  name: string,
  chunksOf: (path: readonly string[]) => Chunks,
  wanted: readonly number[],
): Map<number, Record<string, unknown>> {
  const leafPaths: string[][] = [];
  for (const rg of meta.row_groups.slice(0, 1))
    for (const c of rg.columns)
      if (c.meta_data?.path_in_schema[0] === name) leafPaths.push(c.meta_data.path_in_schema);
  const result = new Map<number, Record<string, unknown>>();
  const top = leafOf(meta, leafPaths[0] ?? [name]);
  if (!top) throw new Error(`${name} has no leaves`);
  for (const r of wanted) result.set(r, {});
  /** Maps being built: (row, container path) → keys and values. */
  const maps = new Map<
    string,
    { keys?: unknown[]; values?: unknown[]; target: Record<string, unknown>; field: string }
  >();
  for (const path of leafPaths) {
    const leaf = leafOf(meta, path);
    if (!leaf || leaf.maxRep > 1) throw new Error(`${path.join('.')} is nested too deeply`);
    const r = leaf.repeated.indexOf(true);
    // Repeated: path[r] is the repeated group, path[r - 1] the list or map field.
    if (r >= 0 && (r < 2 || r < path.length - 2))
      throw new Error(`${path.join('.')} is not a list or map of scalars`);
    const structEnd = r >= 0 ? r - 1 : path.length - 1; // index of the field set on the object
    const byRow = leafAtRows(meta, leaf, chunksOf(path), wanted);
    for (const [row, levels] of byRow) {
      const first = levels[0];
      if (!first || first.def < leaf.defAt[0]!) continue; // the action is not at this row
      // Walk the struct path, creating objects while defined.
      let obj = result.get(row)!;
      let ok = true;
      for (let j = 1; j < structEnd; j++) {
        if (first.def < leaf.defAt[j]!) {
          ok = false;
          break;
        }
        const f = path[j]!;
        obj[f] ??= {};
        obj = obj[f] as Record<string, unknown>;
      }
      if (!ok) continue;
      const field = path[structEnd]!;
      if (r < 0) {
        if (first.value !== undefined && first.value !== null) obj[field] = first.value;
        continue;
      }
      if (first.def < leaf.defAt[r - 1]!) continue; // null list or map
      const entries = levels.filter((l) => l.def >= leaf.defAt[r]!).map((l) => l.value);
      const kv = path.length - r === 2 ? path[r + 1] : undefined;
      const siblings = leafPaths.filter(
        (p) => p.length === path.length && p.slice(0, r + 1).join('.') === path.slice(0, r + 1).join('.'),
      );
      if (siblings.length === 1) {
        obj[field] = entries.map((v) => (v === null ? undefined : v));
      } else if (siblings.length === 2 && kv !== undefined) {
        const id = `${row}\u0000${path.slice(0, r).join('.')}`;
        const m = maps.get(id) ?? { target: obj, field };
        if (siblings[0]!.join('.') === path.join('.')) m.keys = entries;
        else m.values = entries;
        maps.set(id, m);
      } else throw new Error(`${path.join('.')} is not a list or map of scalars`);
    }
  }
  for (const m of maps.values()) {
    const keys = m.keys ?? [];
    const values = m.values ?? [];
    if (keys.length !== values.length)
      throw new Error(`map ${m.field} has ${keys.length} keys and ${values.length} values`);
    const o: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++)
      if (values[i] !== undefined && values[i] !== null) o[String(keys[i])] = values[i];
    m.target[m.field] = o;
  }
  return result;
}
