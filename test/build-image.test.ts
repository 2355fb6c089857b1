/**
 * End-to-end image builds from fixture packages, checked with the tools users run on our
 * layouts: umoci unpacks them, skopeo inspects them, oci-image-tool validates them.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArchImage } from '../src/build/build-arch-image.js';
import { writeImageLayout } from '../src/oci/layout.js';
import { writeLayoutArchive } from '../src/oci/layout-archive.js';
import { fixtureRequest, tempDir, type FixturePackage } from './build-fixtures.js';
import { itWithTool } from './oci-tools.js';

const run = promisify(execFile);

const base: FixturePackage = {
  name: 'baselayout',
  files: [
    { name: 'etc/' },
    { name: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\n' },
    { name: 'etc/group', data: 'root:x:0:\n' },
    { name: 'usr/' },
    { name: 'usr/lib/' },
    { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
    { name: 'usr/bin/' },
  ],
};

const hello: FixturePackage = {
  name: 'hello',
  version: '2.0-r1',
  files: [
    { name: 'usr/bin/hello', mode: 0o755, data: '#!/bin/sh\necho hello\n' },
    { name: 'usr/bin/hi', type: 'link', linkname: 'usr/bin/hello' },
    { name: 'lib/libhello.so.1', data: 'ELF?' },
    { name: 'var/lib/hello/', uid: 65532, gid: 65532, mode: 0o750 },
    { name: 'var/lib/hello/state', uid: 65532, gid: 65532, mode: 0o600, data: 'x' },
    { name: 'usr/bin/sh-hello', type: 'symlink', linkname: 'hello' },
  ],
};

describe('buildArchImage and writeImageLayout', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('build-image'));
  });
  afterEach(async () => cleanup());

  async function build(packages: FixturePackage[], tag = 'latest', extra = {}) {
    const req = await fixtureRequest(dir, packages, {
      image: {
        entrypoint: { command: '/usr/bin/hello --loud' },
        environment: { LANG: 'C' },
        accounts: {
          'run-as': 'nonroot',
          users: [{ username: 'nonroot', uid: 65532 }],
          groups: [{ groupname: 'nonroot', gid: 65532 }],
        },
        paths: [{ path: '/data', type: 'directory', uid: 65532, gid: 65532, permissions: 0o700 }],
        annotations: { 'org.opencontainers.image.source': 'https://example.invalid/src' },
      },
      ...extra,
    });
    const blobsDir = join(dir, 'blobs');
    const result = await buildArchImage(req, { blobsDir });
    const layout = join(dir, 'layout');
    const written = await writeImageLayout(layout, [result], { blobsDir, tag });
    return { req, result, layout, written };
  }

  it('gives the same digests when the same lock is built twice', async () => {
    const first = await build([base, hello]);
    const second = await build([base, hello]);
    expect(second.result.layerDigest).toBe(first.result.layerDigest);
    expect(second.result.manifestDigest).toBe(first.result.manifestDigest);
    expect(second.written.indexDigest).toBe(first.written.indexDigest);
  });

  it('writes an image config with the entrypoint, user and environment', async () => {
    const { layout, result } = await build([base, hello]);
    const config = JSON.parse(
      await readFile(join(layout, 'blobs/sha256', result.configDigest.slice(7)), 'utf8'),
    ) as { architecture: string; config: Record<string, unknown>; rootfs: { diff_ids: string[] } };
    expect(config.architecture).toBe('amd64');
    expect(config.config.Entrypoint).toEqual(['/usr/bin/hello', '--loud']);
    expect(config.config.User).toBe('nonroot');
    expect(config.config.Env).toEqual([
      'LANG=C',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ]);
    expect(config.rootfs.diff_ids).toEqual([result.diffId]);
  });

  itWithTool('skopeo', 'is accepted by skopeo inspect under its tag', async () => {
    const { layout, result, written } = await build([base, hello], 'v1');
    const { stdout } = await run('skopeo', ['inspect', `oci:${layout}:v1`]);
    const info = JSON.parse(stdout) as { Digest: string; Architecture: string; Layers: string[] };
    // skopeo names the index it was given and describes the image it picked for this host.
    expect(info.Digest).toBe(written.indexDigest);
    expect(info.Architecture).toBe('amd64');
    expect(info.Layers).toEqual([result.layerDigest]);
  });

  itWithTool('skopeo', 'lists every architecture in the index and picks each one', async () => {
    const req = await fixtureRequest(dir, [
      { ...base, arch: 'noarch' },
      { ...hello, arch: 'noarch' },
    ]);
    const blobsDir = join(dir, 'blobs');
    const amd = await buildArchImage(req, { blobsDir });
    const arm = await buildArchImage({ ...req, arch: 'aarch64' }, { blobsDir });
    const layout = join(dir, 'multi');
    await writeImageLayout(layout, [arm, amd], { blobsDir });
    const raw = JSON.parse(
      (await run('skopeo', ['inspect', '--raw', `oci:${layout}:latest`])).stdout,
    ) as {
      manifests: Array<{ digest: string; platform: { architecture: string } }>;
    };
    expect(raw.manifests.map((m) => [m.platform.architecture, m.digest])).toEqual([
      ['amd64', amd.manifestDigest],
      ['arm64', arm.manifestDigest],
    ]);
    const picked = await run('skopeo', [
      'inspect',
      '--override-arch',
      'arm64',
      `oci:${layout}:latest`,
    ]);
    expect((JSON.parse(picked.stdout) as { Layers: string[] }).Layers).toEqual([arm.layerDigest]);
    const archive = join(dir, 'image.tar');
    await writeLayoutArchive(layout, archive);
    const fromTar = await run('skopeo', ['inspect', `oci-archive:${archive}:latest-amd64`]);
    expect((JSON.parse(fromTar.stdout) as { Digest: string }).Digest).toBe(amd.manifestDigest);
  });

  itWithTool('umoci', 'unpacks a layer of several gzip chunks byte for byte', async () => {
    // Layers are deflated in 1 MiB chunks on several threads; 3.5 MiB of half-compressible
    // content spans four of them, with matches reaching across every cut.
    const block = Buffer.concat([randomBytes(96 * 1024), Buffer.alloc(96 * 1024, 'apk ')]);
    const big = Buffer.concat(Array.from({ length: 19 }, () => block)).subarray(0, 3_500_000);
    const { layout, result } = await build([
      base,
      hello,
      { name: 'big', files: [{ name: 'usr/share/big.bin', data: big }] },
    ]);
    expect(result.layerSize).toBeGreaterThan(1 << 20);
    const bundle = join(dir, 'bundle');
    await run('umoci', ['unpack', '--rootless', '--image', `${layout}:latest`, bundle]);
    const unpacked = await readFile(join(bundle, 'rootfs', 'usr/share/big.bin'));
    expect(unpacked.equals(big)).toBe(true);
    const blob = join(layout, 'blobs', 'sha256', result.layerDigest.slice(7));
    await run('gzip', ['-t', blob]);
  });

  itWithTool('oci-image-tool', 'passes oci-image-tool validate', async () => {
    const { layout } = await build([base, hello]);
    // This tool predates nested indexes: it warns about the `latest` index entry and checks
    // the per-arch manifests, which is the part it can judge.
    const all = await run('oci-image-tool', ['validate', '--type', 'image', layout]);
    expect(all.stdout).toContain('Validation succeeded');
    const one = await run('oci-image-tool', [
      'validate',
      '--type',
      'image',
      '--ref',
      'name=latest-amd64',
      layout,
    ]);
    expect(one.stdout).toContain('Validation succeeded');
  });

  itWithTool(
    'umoci',
    'unpacks with umoci into exactly the package and generated files',
    async () => {
      const { layout, result } = await build([base, hello]);
      const bundle = join(dir, 'bundle');
      await run('umoci', ['unpack', '--rootless', '--image', `${layout}:latest`, bundle]);
      const rootfs = join(bundle, 'rootfs');
      const { stdout } = await run('find', ['.', '-mindepth', '1'], { cwd: rootfs });
      expect(stdout.trim().split('\n').sort()).toEqual(
        [
          './data',
          './etc',
          './etc/apk',
          './etc/apk/arch',
          './etc/apk/keys',
          './etc/apk/keys/test.rsa.pub',
          './etc/apk/repositories',
          './etc/apk/world',
          './etc/group',
          './etc/passwd',
          './home',
          './home/nonroot',
          './lib',
          './usr',
          './usr/bin',
          './usr/bin/hello',
          './usr/bin/hi',
          './usr/bin/sh-hello',
          './usr/lib',
          './usr/lib/apk',
          './usr/lib/apk/db',
          './usr/lib/apk/db/installed',
          './usr/lib/apk/db/lock',
          './usr/lib/apk/db/triggers',
          './usr/lib/libhello.so.1',
          './var',
          './var/cache',
          './var/cache/apk',
          './var/lib',
          './var/lib/hello',
          './var/lib/hello/state',
        ].sort(),
      );
      expect(await readlink(join(rootfs, 'lib'))).toBe('usr/lib');
      expect(await readlink(join(rootfs, 'usr/bin/sh-hello'))).toBe('hello');
      expect((await lstat(join(rootfs, 'usr/bin/hello'))).mode & 0o7777).toBe(0o755);
      expect((await lstat(join(rootfs, 'usr/bin/hi'))).ino).toBe(
        (await lstat(join(rootfs, 'usr/bin/hello'))).ino,
      );
      expect((await lstat(join(rootfs, 'var/lib/hello/state'))).mode & 0o7777).toBe(0o600);
      expect(await readFile(join(rootfs, 'etc/passwd'), 'utf8')).toBe(
        'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:Account created by apkgraph:/home/nonroot:/bin/sh\n',
      );
      expect(await readFile(join(rootfs, 'etc/group'), 'utf8')).toBe(
        'root:x:0:\nnonroot:x:65532:\n',
      );
      expect(await readFile(join(rootfs, 'etc/apk/world'), 'utf8')).toBe('baselayout\nhello\n');

      // umoci --rootless cannot chown, so owners are checked in the layer itself.
      const blob = join(layout, 'blobs/sha256', result.layerDigest.slice(7));
      const listing = (await run('tar', ['-tvzf', blob, '--numeric-owner'])).stdout;
      expect(listing).toMatch(/^-rw------- 65532\/65532 .* var\/lib\/hello\/state$/m);
      expect(listing).toMatch(/^drwx------ 65532\/65532 .* data\/$/m);
      expect(listing).toMatch(/^drwxr-xr-x 65532\/65532 .* home\/nonroot\/$/m);
      expect(listing).toMatch(/^hrwxr-xr-x 0\/0 .* usr\/bin\/hi link to usr\/bin\/hello$/m);
    },
  );
});
