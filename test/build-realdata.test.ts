/**
 * Real Wolfi and signed test packages, split the way the cache stores them, installed into
 * images: every file the packages declare a SHA-1 for is in the layer with that content.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { splitApk } from '../src/apk/apk-reader.js';
import { pkgInfoToRecord } from '../src/apk/pkginfo.js';
import { buildArchImage } from '../src/build/build-arch-image.js';
import type { BuildPackage } from '../src/build/types.js';
import { describeRealdata, realdata } from './realdata.js';
import { tempDir } from './build-fixtures.js';

/** Splits an .apk into `<sha1>.ctl.tar.gz` and `<sha256>.dat.tar.gz` in `dir`. */
async function expand(apk: string, dir: string): Promise<BuildPackage> {
  const dataTmp = join(dir, `data-${Math.random().toString(36).slice(2)}`);
  const sections = await splitApk(
    createReadStream(apk),
    { data: createWriteStream(dataTmp) },
    {
      source: apk,
    },
  );
  const controlPath = join(dir, `${sections.control.sha1Hex}.ctl.tar.gz`);
  const dataPath = join(dir, `${sections.data.sha256Hex}.dat.tar.gz`);
  await writeFile(controlPath, sections.control.bytes);
  await rename(dataTmp, dataPath);
  const record = pkgInfoToRecord(sections.pkginfo);
  return {
    ...record,
    size: sections.fileSize,
    checksum: sections.control.checksum,
    controlPath,
    dataPath,
  };
}

/** path → hex SHA-1 for each regular file of a gzip tar, and the PAX checksum if asked. */
async function fileHashes(tarGz: string, declared: boolean): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const tar = extract();
  createReadStream(tarGz).pipe(createGunzip()).pipe(tar);
  for await (const entry of tar) {
    const hash = createHash('sha1');
    for await (const chunk of entry as AsyncIterable<Buffer>) hash.update(chunk);
    if (entry.header.type !== 'file') continue;
    const pax = entry.header.pax as Record<string, string> | undefined;
    const value = declared ? pax?.['APK-TOOLS.checksum.SHA1'] : hash.digest('hex');
    if (value !== undefined) out.set(entry.header.name.replace(/^\.\//, ''), value);
  }
  return out;
}

const sets = [
  {
    arch: 'aarch64',
    apks: [
      'apk/wolfi/wolfi-base-1-r1.aarch64.apk',
      'apk/wolfi/libcap-2.69-r0.aarch64.apk',
      'apk/wolfi/hello-wolfi-2.12-r1.aarch64.apk',
    ],
  },
  { arch: 'x86_64', apks: ['apk/test-signed/tzdata-2023c-r0.x86_64.apk'] },
];

describeRealdata('buildArchImage with real packages', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('build-realdata'));
  });
  afterAll(async () => cleanup());

  for (const set of sets) {
    it(`installs ${set.apks.map((a) => a.split('/').pop()).join(', ')} with their declared checksums`, async () => {
      const packages: BuildPackage[] = [];
      for (const apk of set.apks) packages.push(await expand(realdata(apk), dir));
      const blobsDir = join(dir, 'blobs');
      const result = await buildArchImage(
        {
          arch: set.arch,
          image: {},
          packages,
          world: packages.map((p) => p.name),
          repositories: [],
          keys: [],
        },
        { blobsDir },
      );
      const layer = await fileHashes(join(blobsDir, result.layerDigest.slice(7)), false);
      let checked = 0;
      for (const p of packages) {
        for (const [path, sha1] of await fileHashes(p.dataPath, true)) {
          expect(layer.get(path), `${p.name}: ${path}`).toBe(sha1);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
      expect(layer.has('lib/apk/db/installed')).toBe(true);
      expect(result.created).toBe(Math.max(...packages.map((p) => p.buildTime ?? 0)));
    });
  }
});
