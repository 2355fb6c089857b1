/**
 * Hostile data tars at build time. Each package is installed into an image with the real
 * builder; a refused entry must fail the build with a code that names the package and the
 * path, and leave nothing in the blob directory (no layer, no `.tmp-` spool) and no image
 * under the output directory. Accepted oddities (long names, device nodes) must build.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArchImage } from '../../src/build/build-arch-image.js';
import type { BuildRequest } from '../../src/build/types.js';
import { writeImageLayout } from '../../src/oci/layout.js';
import { fixtureRequest, type FixturePackage } from '../build-fixtures.js';
import {
  caught,
  incompleteImages,
  listFiles,
  makeTemp,
  removeTemp,
  tempLeftovers,
} from './fixtures.js';

let tmp: string;
let blobs: string;
let out: string;

beforeEach(async () => {
  tmp = await makeTemp('tar');
  blobs = join(tmp, 'blobs');
  out = join(tmp, 'out', 'img', 'latest');
  await mkdir(blobs, { recursive: true });
  await mkdir(join(tmp, 'pkgs'), { recursive: true });
});
afterEach(async () => {
  await removeTemp(tmp);
});

/** Builds the packages into blobs/, then publishes the layout at out/. */
async function build(pkgs: FixturePackage[]): Promise<BuildRequest> {
  const req = await fixtureRequest(join(tmp, 'pkgs'), pkgs);
  const result = await buildArchImage(req, { blobsDir: blobs });
  await writeImageLayout(out, [result], { blobsDir: blobs });
  return req;
}

/** The proof that a refused build lost nothing and left nothing. */
async function expectNothingWritten(): Promise<void> {
  expect(await tempLeftovers(tmp)).toEqual([]);
  expect(await listFiles(blobs)).toEqual([]);
  expect(await readdir(join(tmp, 'out')).catch(() => [])).toEqual([]);
}

const base: FixturePackage = {
  name: 'base',
  files: [{ name: 'etc/' }, { name: 'etc/os-release', data: 'ID=test\n' }, { name: 'usr/' }],
};

describe('build with hostile tar entries', () => {
  it('refuses a "../" path and writes nothing', async () => {
    const err = await caught(() =>
      build([base, { name: 'evil', files: [{ name: 'usr/../../etc/passwd', data: 'x' }] }]),
    );
    expect(err.code).toBe('ERR_UNSAFE_PATH');
    expect(err.message).toContain('usr/../../etc/passwd');
    expect(err.message).toContain('evil-1.0-r0');
    await expectNothingWritten();
  });

  it('refuses an absolute path and writes nothing', async () => {
    const err = await caught(() =>
      build([{ name: 'abs', files: [{ name: '/etc/shadow', data: 'x' }] }]),
    );
    expect(err.code).toBe('ERR_UNSAFE_PATH');
    expect(err.message).toContain('/etc/shadow');
    expect(err.message).toContain('abs-1.0-r0');
    await expectNothingWritten();
  });

  it('refuses a file written through a symlink that points out of the root', async () => {
    const err = await caught(() =>
      build([
        base,
        {
          name: 'escape',
          files: [
            { name: 'usr/lib', type: 'symlink', linkname: '../../../../tmp' },
            { name: 'usr/lib/owned', data: 'written outside the image' },
          ],
        },
      ]),
    );
    expect(err.code).toBe('ERR_UNSAFE_PATH');
    expect(err.message).toContain('usr/lib/owned');
    expect(err.message).toContain('escape-1.0-r0');
    await expectNothingWritten();
  });

  it('refuses a hard link to a path outside the root', async () => {
    const err = await caught(() =>
      build([{ name: 'hl', files: [{ name: 'x', type: 'link', linkname: '../etc/passwd' }] }]),
    );
    expect(err.code).toBe('ERR_UNSAFE_PATH');
    expect(err.message).toContain('../etc/passwd');
    await expectNothingWritten();
  });

  it('refuses a file that replaces a directory of another package', async () => {
    const err = await caught(() =>
      build([base, { name: 'clobber', files: [{ name: 'etc', data: 'a file where a dir is' }] }]),
    );
    expect(['ERR_FILE_CONFLICT', 'ERR_UNSAFE_PATH']).toContain(err.code);
    expect(err.message).toContain('etc');
    expect(err.message).toContain('clobber-1.0-r0');
    await expectNothingWritten();
  });

  it('refuses an entry name that is not UTF-8 rather than renaming it', async () => {
    // PAX path "f\xff\xfeg": decoding it as text would silently change the name.
    const raw = Buffer.from([0x66, 0xff, 0xfe, 0x67]);
    const err = await caught(() =>
      build([base, { name: 'latin1', files: [{ name: 'stub', data: 'x', pax: [['path', raw]] }] }]),
    );
    expect(err.code).toBe('ERR_UNSAFE_PATH');
    expect(err.message).toContain('f\\xff\\xfeg');
    expect(err.message).toContain('latin1-1.0-r0');
    expect(err.message).toContain('not UTF-8');
    await expectNothingWritten();
  });
});

describe('build with unusual but legal tar entries', () => {
  it('keeps device nodes as device entries in the layer', async () => {
    await build([
      base,
      {
        name: 'devs',
        files: [
          { name: 'dev/' },
          { name: 'dev/null', type: 'char', mode: 0o666 },
          { name: 'dev/loop0', type: 'block', mode: 0o660 },
        ],
      },
    ]);
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as {
      manifests: unknown[];
    };
    expect(index.manifests.length).toBeGreaterThan(0);
    expect(await tempLeftovers(tmp)).toEqual([]);
  });

  it('builds a path longer than 100 bytes (PAX path) intact', async () => {
    const long = `usr/share/${'d'.repeat(120)}/${'f'.repeat(150)}.txt`;
    await build([base, { name: 'longname', files: [{ name: long, data: 'deep' }] }]);
    expect(await tempLeftovers(tmp)).toEqual([]);
    expect((await listFiles(out)).some((f) => f === 'index.json')).toBe(true);
  });
});

describe('publishing over an existing image', () => {
  it('leaves the previous image untouched when a rebuild is refused', async () => {
    await build([base]);
    const before = await listFiles(out);
    const beforeIndex = await readFile(join(out, 'index.json'));
    await writeFile(join(tmp, 'marker'), '');
    const err = await caught(() =>
      build([base, { name: 'evil', files: [{ name: '../x', data: 'x' }] }]),
    );
    expect(err.code).toBe('ERR_UNSAFE_PATH');
    expect(await listFiles(out)).toEqual(before);
    expect(await readFile(join(out, 'index.json'))).toEqual(beforeIndex);
    expect(await tempLeftovers(tmp)).toEqual([]);
  });
});

describe('publishing one image from several writers', () => {
  it('lets concurrent publishers of the same image all succeed, leaving one whole image', async () => {
    const req = await fixtureRequest(join(tmp, 'pkgs'), [base]);
    const result = await buildArchImage(req, { blobsDir: blobs });
    const writes = await Promise.allSettled(
      Array.from({ length: 8 }, () => writeImageLayout(out, [result], { blobsDir: blobs })),
    );
    expect(writes.filter((w) => w.status === 'rejected')).toEqual([]);
    expect(await incompleteImages(join(tmp, 'out'))).toEqual([]);
    expect(await tempLeftovers(join(tmp, 'out'))).toEqual([]);
  });

  it('removes the temporary layout a killed publisher left next to the image', async () => {
    // What a SIGKILL during publication leaves: a layout directory named with a dead pid.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const left = join(dirname(out), `.tmp-latest.${dead}-0badc0de`);
    await mkdir(join(left, 'blobs'), { recursive: true });
    await writeFile(join(left, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    // A live process's temporary directory (this one's) must be left alone.
    const live = join(dirname(out), `.tmp-latest.${process.pid}-0000beef`);
    await mkdir(live);
    await build([base]);
    expect(await tempLeftovers(join(tmp, 'out'))).toEqual([live]);
    await rm(live, { recursive: true });
    expect(await incompleteImages(join(tmp, 'out'))).toEqual([]);
  });
});
