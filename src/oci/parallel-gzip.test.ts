import { randomBytes } from 'node:crypto';
import { constants, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ParallelGzip } from './parallel-gzip.js';

const CHUNK = 64 * 1024;

/** Compresses `pieces` (written one by one) and returns the whole gzip file. */
async function compress(pieces: Buffer[], inFlight = 4, chunkBytes = CHUNK): Promise<Buffer> {
  const out: Buffer[] = [];
  const gz = new ParallelGzip({
    level: 6,
    memLevel: 8,
    strategy: constants.Z_DEFAULT_STRATEGY,
    chunkBytes,
    inFlight,
    output: (bytes) => {
      out.push(bytes);
      return Promise.resolve();
    },
  });
  for (const p of pieces) await gz.write(p);
  await gz.end();
  return Buffer.concat(out);
}

/** Text-like input that compresses, with some randomness so matches are not trivial. */
function sample(bytes: number): Buffer {
  const words = ['usr/lib/', 'libfoo.so.1', '\x00\x00\x00\x00', 'etc/apk/', String(Math.PI)];
  const parts: Buffer[] = [];
  let n = 0;
  while (n < bytes) {
    const b = Buffer.from(words[n % 5]! + randomBytes(3).toString('hex'));
    parts.push(b);
    n += b.length;
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

/** Splits `data` into pieces of awkward sizes. */
function split(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = sizes[i % sizes.length]!;
    out.push(data.subarray(at, at + size));
    at += size;
  }
  return out;
}

describe('ParallelGzip', () => {
  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 5 * CHUNK + 12_345])(
    'gives a gzip file that gunzip reads back exactly (%i bytes)',
    async (bytes) => {
      const data = sample(bytes);
      const gz = await compress(split(data, [1, 70_000, 4096, 333]));
      // gunzip checks the CRC-32 and the length in the trailer too.
      expect(gunzipSync(gz).equals(data)).toBe(true);
      expect([...gz.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]);
    },
  );

  it('writes the same bytes whatever the chunks in flight or the write sizes', async () => {
    const data = sample(7 * CHUNK + 999);
    const one = await compress([data], 1);
    const many = await compress(split(data, [17, 100_000, 65_536]), 8);
    expect(many.equals(one)).toBe(true);
  });

  it('lets matches reach back across a cut, so repeated data stays small', async () => {
    // Random bytes do not compress. Every 32 KiB chunk is the same 16 KiB block twice: alone,
    // a chunk shrinks to about one block; with the previous chunk's tail as its dictionary,
    // every chunk after the first shrinks to almost nothing.
    const block = randomBytes(16 * 1024);
    const data = Buffer.concat(Array.from({ length: 16 }, () => block));
    const gz = await compress([data], 4, 32 * 1024);
    expect(gunzipSync(gz).equals(data)).toBe(true);
    expect(gz.length).toBeLessThan(2 * block.length);
  });

  it('reports a failing output on the next call, and keeps failing', async () => {
    const gz = new ParallelGzip({
      level: 6,
      memLevel: 8,
      strategy: constants.Z_DEFAULT_STRATEGY,
      chunkBytes: CHUNK,
      inFlight: 1,
      output: () => Promise.reject(new Error('disk full')),
    });
    const data = sample(4 * CHUNK);
    let err: unknown;
    try {
      for (const p of split(data, [CHUNK])) await gz.write(p);
      await gz.end();
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe('disk full');
    await expect(gz.write(Buffer.from('more'))).rejects.toThrow('disk full');
  });

  it('refuses chunks smaller than the deflate window', () => {
    expect(
      () =>
        new ParallelGzip({
          level: 6,
          memLevel: 8,
          strategy: constants.Z_DEFAULT_STRATEGY,
          chunkBytes: 1024,
          inFlight: 1,
          output: () => Promise.resolve(),
        }),
    ).toThrow(RangeError);
  });
});
