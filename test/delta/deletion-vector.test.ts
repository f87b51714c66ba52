import { describe, expect, it } from 'vitest';
import { decodeRoaringBitmapArray, deletionVectorLocation, z85Decode } from '../../src/delta/index.js';

describe('z85', () => {
  it('decodes the ZeroMQ RFC 32 test vector', () => {
    expect([...z85Decode('HelloWorld')]).toEqual([0x86, 0x4f, 0xd2, 0x6f, 0xb5, 0x59, 0xf7, 0x5b]);
  });
  it('rejects bad lengths and characters', () => {
    expect(() => z85Decode('Hell')).toThrow(/multiple of 5/);
    expect(() => z85Decode('Hell~')).toThrow(/invalid z85/);
  });
});

describe('deletion vector locations', () => {
  it('relative DVs: prefix directory plus the z85-decoded UUID', () => {
    // 20 z85 characters encode 16 bytes; the characters before them are a directory prefix.
    const loc = deletionVectorLocation({
      storageType: 'u',
      pathOrInlineDv: 'ab' + 'HelloWorldHelloWorld',
      sizeInBytes: 1,
      cardinality: 1,
    });
    expect(loc).toBe('ab/deletion_vector_864fd26f-b559-f75b-864f-d26fb559f75b.bin');
  });
  it('absolute DVs are used as given', () => {
    expect(
      deletionVectorLocation({
        storageType: 'p',
        pathOrInlineDv: 's3://b/t/x.bin',
        sizeInBytes: 1,
        cardinality: 1,
      }),
    ).toBe('s3://b/t/x.bin');
  });
});

describe('RoaringBitmapArray decoding', () => {
  it('rejects a wrong magic number and truncated input', () => {
    expect(() => decodeRoaringBitmapArray(new Uint8Array([1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(
      /magic/,
    );
    const header = new Uint8Array(12);
    new DataView(header.buffer).setInt32(0, 1681511377, true);
    new DataView(header.buffer).setBigUint64(4, 1n, true);
    expect(() => decodeRoaringBitmapArray(header)).toThrow(/truncated/);
  });
  it('an empty bitmap decodes to no rows', () => {
    const header = new Uint8Array(12);
    new DataView(header.buffer).setInt32(0, 1681511377, true);
    expect(decodeRoaringBitmapArray(header)).toHaveLength(0);
  });
});
