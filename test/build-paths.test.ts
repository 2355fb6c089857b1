/**
 * The image config's filesystem parts: accounts appended to what packages ship, and `paths`
 * mutations applied after the packages.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildArchImage } from '../src/build/build-arch-image.js';
import type { ImageSpec } from '../src/build/types.js';
import { ApkgraphError } from '../src/errors.js';
import { fixtureRequest, tempDir } from './build-fixtures.js';

describe('image spec filesystem changes', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('build-paths'));
  });
  afterEach(async () => cleanup());

  async function build(image: ImageSpec) {
    const req = await fixtureRequest(
      dir,
      [
        {
          name: 'app',
          files: [
            { name: 'srv/app/bin', mode: 0o700, data: 'bin' },
            { name: 'srv/app/conf/a', data: 'a' },
          ],
        },
      ],
      { image },
    );
    const blobsDir = join(dir, 'blobs');
    const r = await buildArchImage(req, { blobsDir });
    const out = new Map<string, { header: Header; body: string }>();
    const tar = extract();
    createReadStream(join(blobsDir, r.layerDigest.slice(7)))
      .pipe(createGunzip())
      .pipe(tar);
    for await (const e of tar) {
      const chunks: Buffer[] = [];
      for await (const c of e as AsyncIterable<Buffer>) chunks.push(c);
      out.set(e.header.name.replace(/\/$/, ''), {
        header: e.header,
        body: Buffer.concat(chunks).toString(),
      });
    }
    return out;
  }

  it('applies directory, empty-file, symlink, hardlink and recursive permissions', async () => {
    const layer = await build({
      paths: [
        { path: '/run/app', type: 'directory', uid: 1000, gid: 1000, permissions: 0o770 },
        { path: '/srv/app/ready', type: 'empty-file', permissions: 0o600 },
        { path: '/usr/bin/app', type: 'symlink', source: '/srv/app/bin' },
        { path: '/srv/app/bin2', type: 'hardlink', source: '/srv/app/bin' },
        {
          path: '/srv/app/conf',
          type: 'permissions',
          uid: 1000,
          gid: 1000,
          permissions: 0o640,
          recursive: true,
        },
      ],
    });
    expect(layer.get('run/app')?.header).toMatchObject({
      type: 'directory',
      uid: 1000,
      mode: 0o770,
    });
    expect(layer.get('srv/app/ready')?.header).toMatchObject({
      type: 'file',
      size: 0,
      mode: 0o600,
    });
    expect(layer.get('usr/bin/app')?.header).toMatchObject({
      type: 'symlink',
      linkname: '/srv/app/bin',
    });
    expect(layer.get('srv/app/bin')?.body).toBe('bin');
    expect(layer.get('srv/app/bin2')?.header).toMatchObject({
      type: 'link',
      linkname: 'srv/app/bin',
    });
    expect(layer.get('srv/app/conf')?.header).toMatchObject({ uid: 1000, mode: 0o640 });
    expect(layer.get('srv/app/conf/a')?.header).toMatchObject({
      uid: 1000,
      gid: 1000,
      mode: 0o640,
    });
  });

  it('creates etc/passwd and etc/group when no package ships them', async () => {
    const layer = await build({
      accounts: {
        users: [
          { username: 'app', uid: 100, gid: 101, shell: '/sbin/nologin', homedir: '/srv/app' },
        ],
        groups: [{ groupname: 'app', gid: 101, members: ['app', 'ops'] }],
      },
    });
    expect(layer.get('etc/passwd')?.body).toBe(
      'app:x:100:101:Account created by apkgraph:/srv/app:/sbin/nologin\n',
    );
    expect(layer.get('etc/group')?.body).toBe('app:x:101:app,ops\n');
    // An existing home directory keeps the owner its package gave it.
    expect(layer.get('srv/app')?.header.uid).toBe(0);
  });

  it('fails with ERR_CONFIG when a hardlink source is missing', async () => {
    const err = await build({ paths: [{ path: '/x', type: 'hardlink', source: '/nope' }] }).catch(
      (e: unknown) => e,
    );
    expect((err as ApkgraphError).code).toBe('ERR_CONFIG');
  });
});
