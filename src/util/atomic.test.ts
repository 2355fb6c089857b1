import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAtomicWriteStream, publishDirectory, writeFileAtomic } from './atomic.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apkgraph-atomic-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createAtomicWriteStream', () => {
  it('publishes the file only on commit', async () => {
    const target = join(dir, 'out.bin');
    const w = await createAtomicWriteStream(target);
    // The temporary file exists as soon as the stream is handed out, so abort() can remove it.
    expect(await readdir(dir)).toEqual([expect.stringMatching(/^\.tmp-out\.bin\./)]);
    w.stream.write('hello');
    await w.commit();
    expect(await readFile(target, 'utf8')).toBe('hello');
    expect(await readdir(dir)).toEqual(['out.bin']);
  });

  it('refuses to publish a stream that failed and removes the temporary file', async () => {
    const target = join(dir, 'out.bin');
    const w = await createAtomicWriteStream(target);
    w.stream.write('partial');
    w.stream.destroy(new Error('disk went away'));
    await new Promise((r) => setImmediate(r));
    await expect(w.commit()).rejects.toThrow('disk went away');
    expect(await readdir(dir)).toEqual([]);
  });

  it('publishes a stream its writer has already ended', async () => {
    const target = join(dir, 'ended.bin');
    const w = await createAtomicWriteStream(target);
    w.stream.end('done');
    await once(w.stream, 'finish');
    await w.commit();
    expect(await readFile(target, 'utf8')).toBe('done');
  });

  it('leaves nothing behind on abort', async () => {
    const w = await createAtomicWriteStream(join(dir, 'x'));
    w.stream.write('x');
    await w.abort();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('writeFileAtomic', () => {
  it('creates parent folders and replaces an existing file', async () => {
    const target = join(dir, 'a', 'b.txt');
    await writeFileAtomic(target, 'one');
    await writeFileAtomic(target, 'two');
    expect(await readFile(target, 'utf8')).toBe('two');
    expect(await readdir(join(dir, 'a'))).toEqual(['b.txt']);
  });
});

describe('publishDirectory', () => {
  it('keeps the old directory when filling fails', async () => {
    const target = join(dir, 'layout');
    await publishDirectory(target, async (tmp) => {
      await writeFileAtomic(join(tmp, 'index.json'), 'old');
    });
    await expect(
      publishDirectory(target, () => Promise.reject(new Error('build failed'))),
    ).rejects.toThrow('build failed');
    expect(await readFile(join(target, 'index.json'), 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['layout']);
  });
});
