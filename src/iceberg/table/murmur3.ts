/**
 * 32-bit Murmur3 (x86 variant, seed 0) as the Iceberg spec's Appendix B requires for the
 * `bucket[N]` transform. Hash inputs follow Appendix B: ints, longs, dates, times and timestamps
 * hash as 8-byte little-endian longs; decimals as their minimal big-endian two's-complement
 * unscaled bytes; strings as UTF-8; UUIDs as 16 big-endian bytes; binary/fixed as themselves.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function fmix(h: number): number {
  let x = h;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}

/** murmur3_x86_32 of `data` with seed 0; a signed 32-bit result like Guava's `hashBytes().asInt()`. */
export function murmur3x86_32(data: Uint8Array, seed = 0): number {
  let h = seed | 0;
  const n = data.length;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // Tail: the remaining 1–3 bytes, little-endian, mixed once.
  const rem = n & 3;
  if (rem > 0) {
    let k = 0;
    if (rem === 3) k ^= (data[blocks + 2] as number) << 16;
    if (rem >= 2) k ^= (data[blocks + 1] as number) << 8;
    k ^= data[blocks] as number;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= n;
  return fmix(h);
}

/** Hash of a long (or int, date, time, timestamp) value: its 8 little-endian bytes. */
export function hashLong(v: bigint | number): number {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt.asIntN(64, BigInt(v)), true);
  return murmur3x86_32(b);
}
