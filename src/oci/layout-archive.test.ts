import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failWrites, ioError } from '../../test/failing-fs.js';
import { writeLayoutArchive } from './layout-archive.js';

vi.mock('node:fs', async (importOriginal) =>
  (await import('../../test/failing-fs.js')).withFailingWrites(await importOriginal()),
);

describe('writeLayoutArchive', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apkgraph-layout-archive-'));
    await mkdir(join(dir, 'layout', 'blobs'), { recursive: true });
    await writeFile(join(dir, 'layout', 'index.json'), '{}');
    await writeFile(join(dir, 'layout', 'blobs', 'b'), Buffer.alloc(100_000, 1));
  });
  afterEach(async () => {
    failWrites(undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the archive under its final name only', async () => {
    await writeLayoutArchive(join(dir, 'layout'), join(dir, 'out', 'image.tar'));
    expect(await readdir(join(dir, 'out'))).toEqual(['image.tar']);
  });

  it('rejects with ERR_OCI and leaves nothing when the disk fails', async () => {
    failWrites(ioError());
    await expect(
      writeLayoutArchive(join(dir, 'layout'), join(dir, 'out', 'image.tar')),
    ).rejects.toMatchObject({ code: 'ERR_OCI' });
    expect(await readdir(join(dir, 'out'))).toEqual([]);
  });
});
