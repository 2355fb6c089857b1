import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { GuardedWriter } from './guarded-writer.js';

/** A sink that takes `okWrites` writes, then fails every one with EIO. */
function sink(okWrites: number, highWaterMark = 16): Writable {
  let n = 0;
  return new Writable({
    highWaterMark,
    write(_chunk, _enc, cb) {
      n++;
      if (n > okWrites) cb(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
      else setImmediate(cb);
    },
  });
}

describe('GuardedWriter', () => {
  it('writes and ends a healthy stream', async () => {
    const w = new GuardedWriter(sink(10));
    await w.write(Buffer.alloc(4));
    await w.write(Buffer.alloc(64));
    await w.end();
    expect(w.failed).toBeUndefined();
  });

  it(
    'rejects the write that fails, even one the stream accepted ' + 'without backpressure',
    async () => {
      const w = new GuardedWriter(sink(0));
      await expect(w.write(Buffer.alloc(1))).rejects.toMatchObject({ code: 'EIO' });
    },
  );

  it('rejects later writes and end instead of hanging or crashing', async () => {
    const w = new GuardedWriter(sink(0));
    await w.write(Buffer.alloc(1)).catch(() => undefined);
    await expect(w.write(Buffer.alloc(64))).rejects.toMatchObject({ code: 'EIO' });
    await expect(w.end()).rejects.toMatchObject({ code: 'EIO' });
  });

  it('keeps a failure that happens while nobody writes, for the next call', async () => {
    const stream = sink(10);
    const w = new GuardedWriter(stream);
    stream.destroy(Object.assign(new Error('device gone'), { code: 'ENXIO' }));
    await new Promise((resolve) => setImmediate(resolve));
    expect(w.failed?.message).toBe('device gone');
    await expect(w.write(Buffer.alloc(1))).rejects.toThrow('device gone');
  });
});
