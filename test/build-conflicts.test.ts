/**
 * How packages that ship the same path, or unsafe paths, are installed: apk's overwrite rules
 * and path checks, seen through whole builds of fixture packages.
 */
import { createGunzip } from 'node:zlib';
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArchImage } from '../src/build/build-arch-image.js';
import type { ArchImageResult } from '../src/build/types.js';
import { ApkgraphError } from '../src/errors.js';
import { fixtureRequest, tempDir, type FixturePackage } from './build-fixtures.js';

/** Every entry of a built layer: path → content (files) or link target. */
async function readLayer(blobsDir: string, r: ArchImageResult): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const tar = extract();
  createReadStream(join(blobsDir, r.layerDigest.slice(7)))
    .pipe(createGunzip())
    .pipe(tar);
  for await (const entry of tar) {
    const chunks: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
    out.set(entry.header.name, entry.header.linkname ?? Buffer.concat(chunks).toString('utf8'));
  }
  return out;
}

describe('installing packages into a layer', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('build-conflicts'));
  });
  afterEach(async () => cleanup());

  async function build(packages: FixturePackage[]) {
    const blobsDir = join(dir, 'blobs');
    const result = await buildArchImage(await fixtureRequest(dir, packages), { blobsDir });
    return { result, layer: await readLayer(blobsDir, result) };
  }

  async function failure(packages: FixturePackage[]): Promise<ApkgraphError> {
    const err = await build(packages).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApkgraphError);
    return err as ApkgraphError;
  }

  const a = (data: string, extra: Partial<FixturePackage> = {}): FixturePackage => ({
    name: 'a',
    files: [{ name: 'usr/bin/tool', data }],
    ...extra,
  });
  const b = (data: string, extra: Partial<FixturePackage> = {}): FixturePackage => ({
    name: 'b',
    files: [{ name: 'usr/bin/tool', data }],
    ...extra,
  });

  it('fails with ERR_FILE_CONFLICT naming both packages and the path', async () => {
    const err = await failure([a('one'), b('two')]);
    expect(err.code).toBe('ERR_FILE_CONFLICT');
    expect(err.message).toContain('b-1.0-r0 and a-1.0-r0 both install "usr/bin/tool"');
  });

  it('allows identical content from two packages', async () => {
    const { layer } = await build([a('same'), b('same')]);
    expect(layer.get('usr/bin/tool')).toBe('same');
  });

  it('lets a package that replaces the owner win', async () => {
    const { layer } = await build([a('one'), b('two', { replaces: ['a'] })]);
    expect(layer.get('usr/bin/tool')).toBe('two');
  });

  it('keeps the owner when the owner replaces the later package', async () => {
    const { layer } = await build([a('one', { replaces: ['b'] }), b('two')]);
    expect(layer.get('usr/bin/tool')).toBe('one');
  });

  it('lets the later package win when both share an origin', async () => {
    const { layer } = await build([a('one', { origin: 'src' }), b('two', { origin: 'src' })]);
    expect(layer.get('usr/bin/tool')).toBe('two');
  });

  it('lists a replaced file only under its new owner in the installed db', async () => {
    const { layer } = await build([a('one'), b('two', { replaces: ['a'] })]);
    const db = layer.get('lib/apk/db/installed') ?? '';
    const stanzaA = db.split('\n\n').find((s) => s.startsWith('P:a\n')) ?? '';
    const stanzaB = db.split('\n\n').find((s) => s.startsWith('P:b\n')) ?? '';
    expect(stanzaA).not.toContain('R:tool');
    expect(stanzaB).toContain('F:usr/bin\nR:tool\nZ:Q1');
  });

  it('rejects a path with .. in it', async () => {
    const err = await failure([{ name: 'evil', files: [{ name: 'usr/../../etc/x', data: 'x' }] }]);
    expect(err.code).toBe('ERR_UNSAFE_PATH');
    expect(err.subject.package).toBe('evil-1.0-r0');
  });

  it('rejects an absolute path', async () => {
    const err = await failure([{ name: 'evil', files: [{ name: '/etc/x', data: 'x' }] }]);
    expect(err.code).toBe('ERR_UNSAFE_PATH');
  });

  it('rejects a write through a symlink that leads out of the root', async () => {
    const err = await failure([
      { name: 'evil', files: [{ name: 'up', type: 'symlink', linkname: '../..' }] },
      { name: 'victim', files: [{ name: 'up/etc/passwd', data: 'x' }] },
    ]);
    expect(err.code).toBe('ERR_UNSAFE_PATH');
    expect(err.message).toContain('victim');
  });

  it('writes through a usr-merge symlink into its target', async () => {
    const { layer } = await build([
      {
        name: 'base',
        files: [{ name: 'usr/lib/' }, { name: 'lib', type: 'symlink', linkname: 'usr/lib' }],
      },
      { name: 'libz', files: [{ name: 'lib/libz.so.1', data: 'z' }] },
    ]);
    expect(layer.get('usr/lib/libz.so.1')).toBe('z');
    expect(layer.get('lib')).toBe('usr/lib');
  });

  it('fails with ERR_APK_CHECKSUM when a file does not match its declared SHA-1', async () => {
    const err = await failure([
      { name: 'bad', files: [{ name: 'f', data: 'x', checksum: 'wrong' }] },
    ]);
    expect(err.code).toBe('ERR_APK_CHECKSUM');
  });

  it('fails with ERR_GZIP when a data member is corrupt', async () => {
    const req = await fixtureRequest(dir, [
      { name: 'z', files: [{ name: 'f', data: 'x'.repeat(5000) }] },
    ]);
    const dataPath = req.packages[0]?.dataPath ?? '';
    const bytes = await readFile(dataPath);
    bytes.fill(0x55, 20, 40);
    await writeFile(dataPath, bytes);
    const err = await buildArchImage(req, { blobsDir: join(dir, 'blobs') }).catch(
      (e: unknown) => e,
    );
    expect((err as ApkgraphError).code).toBe('ERR_GZIP');
    expect((err as ApkgraphError).subject.package).toBe('z-1.0-r0');
  });

  it('refuses packages for another architecture', async () => {
    const err = await failure([{ name: 'arm', arch: 'aarch64', files: [] }]);
    expect(err.code).toBe('ERR_ARCH_MISMATCH');
  });
});
