/**
 * A `node:fs` whose write streams can be made to fail, for tests of what a writer does when
 * the disk fails under it. Use it from a `vi.mock('node:fs', …)` factory:
 *
 *     vi.mock('node:fs', async (orig) =>
 *       (await import('../../test/failing-fs.js')).withFailingWrites(await orig()));
 *
 * then {@link failWrites} with an error to make every later write of every stream fail.
 */
import type * as fs from 'node:fs';

let failure: NodeJS.ErrnoException | undefined;

/** Makes every write from now on fail with `err`; `undefined` lets writes through again. */
export function failWrites(err: NodeJS.ErrnoException | undefined): void {
  failure = err;
}

/** An EIO error like a failing disk gives. */
export function ioError(): NodeJS.ErrnoException {
  return Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO', syscall: 'write' });
}

/** `real` with a createWriteStream whose streams obey {@link failWrites}. */
export function withFailingWrites(real: typeof fs): typeof fs {
  const createWriteStream = (...args: Parameters<typeof fs.createWriteStream>) => {
    const stream = real.createWriteStream(...args);
    const realWrite = stream._write.bind(stream);
    const realWritev = stream._writev?.bind(stream);
    stream._write = (chunk, encoding, cb) => {
      if (failure) return cb(failure);
      realWrite(chunk, encoding, cb);
    };
    if (realWritev) {
      stream._writev = (chunks, cb) => {
        if (failure) return cb(failure);
        realWritev(chunks, cb);
      };
    }
    return stream;
  };
  return { ...real, createWriteStream, default: { ...real, createWriteStream } } as typeof fs;
}
