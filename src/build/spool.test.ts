import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { failWrites, ioError } from '../../test/failing-fs.js';

vi.mock('node:fs', async (importOriginal) =>
  (await import('../../test/failing-fs.js')).withFailingWrites(await importOriginal()),
);

const { BodySpool } = await import('./spool.js');
const { buildArchImage } = await import('./build-arch-image.js');
const { fixtureRequest } = await import('../../test/build-fixtures.js');

describe('BodySpool', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apkgraph-spool-'));
    failWrites(undefined);
  });
  afterEach(async () => {
    failWrites(undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back appended bytes by offset after seal', async () => {
    const spool = await BodySpool.create(join(dir, 'missing', 'scratch'));
    await spool.append(Buffer.from('hello '));
    const at = spool.offset;
    await spool.append(Buffer.alloc(2 << 20, 7));
    await spool.append(Buffer.from('world'));
    await spool.seal();
    expect((await spool.readAll(0, 6)).toString()).toBe('hello ');
    expect((await spool.readAll(at, 2 << 20)).equals(Buffer.alloc(2 << 20, 7))).toBe(true);
    expect((await spool.readAll(at + (2 << 20), 5)).toString()).toBe('world');
    await spool.dispose();
  });

  it('rejects seal when the final write fails', async () => {
    const spool = await BodySpool.create(dir);
    await spool.append(Buffer.from('small body'));
    failWrites(ioError());
    await expect(spool.seal()).rejects.toMatchObject({ code: 'EIO' });
    await spool.dispose();
  });

  it('rejects append when a flush fails, and every append after it', async () => {
    const spool = await BodySpool.create(dir);
    failWrites(ioError());
    await expect(spool.append(Buffer.alloc(2 << 20))).rejects.toMatchObject({ code: 'EIO' });
    await expect(spool.append(Buffer.alloc(2 << 20))).rejects.toMatchObject({ code: 'EIO' });
    await expect(spool.seal()).rejects.toMatchObject({ code: 'EIO' });
    await spool.dispose();
  });

  it('rejects create when the directory cannot be made', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'file'), 'x');
    await expect(BodySpool.create(join(dir, 'file', 'scratch'))).rejects.toMatchObject({
      code: 'ENOTDIR',
    });
  });

  it('rejects buildArchImage with ERR_IO when spool writes fail', async () => {
    const req = await fixtureRequest(dir, [
      { name: 'big', files: [{ name: 'blob', data: Buffer.alloc(3 << 20, 1) }] },
    ]);
    failWrites(ioError());
    const blobsDir = join(dir, 'not-yet', 'blobs');
    await expect(buildArchImage(req, { blobsDir })).rejects.toMatchObject({ code: 'ERR_IO' });
    failWrites(undefined);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(blobsDir)).toEqual([]);
  });
});
