/**
 * Fixture packages for the build tests, made in code: each package is a control gzip member
 * (`.PKGINFO`) and a data gzip member (a complete tar), written as the cache lays them out.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { BuildPackage, BuildRequest } from '../src/build/types.js';
import {
  encodeTarHeader,
  TAR_END,
  tarPadding,
  type TarEntryType,
  type TarHeader,
} from '../src/tar/tar-encoder.js';

/** One entry of a fixture package's data tar. */
export interface FixtureFile {
  name: string;
  type?: TarEntryType;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  data?: string | Buffer;
  linkname?: string;
  pax?: Array<[string, string | Buffer]>;
  /** Write no APK-TOOLS.checksum.SHA1 record (or a wrong one with 'wrong'). */
  checksum?: 'none' | 'wrong';
}

/** A fixture package. */
export interface FixturePackage {
  name: string;
  version?: string;
  arch?: string;
  origin?: string;
  replaces?: string[];
  buildTime?: number;
  files: FixtureFile[];
}

/** The bytes of an uncompressed data tar holding `files`, with apk's PAX checksums. */
export function dataTar(files: readonly FixtureFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const type = f.type ?? (f.name.endsWith('/') ? 'directory' : 'file');
    const data = f.data === undefined ? Buffer.alloc(0) : Buffer.from(f.data);
    const pax: Array<[string, Buffer]> = (f.pax ?? []).map(([k, v]) => [k, Buffer.from(v)]);
    if (type === 'file' && f.checksum !== 'none') {
      const sha1 = createHash('sha1')
        .update(f.checksum === 'wrong' ? 'not the content' : data)
        .digest('hex');
      pax.push(['APK-TOOLS.checksum.SHA1', Buffer.from(sha1)]);
    }
    const header: TarHeader = {
      name: f.name.replace(/\/$/, ''),
      type,
      mode: f.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
      uid: f.uid ?? 0,
      gid: f.gid ?? 0,
      size: type === 'file' ? data.length : 0,
      mtime: f.mtime ?? 1_700_000_000,
      pax,
    };
    if (f.linkname !== undefined) header.linkname = f.linkname;
    parts.push(encodeTarHeader(header));
    if (type === 'file') parts.push(data, tarPadding(data.length));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}

/** Writes the package's control and data members into `dir` and returns its build input. */
export async function writeFixturePackage(dir: string, p: FixturePackage): Promise<BuildPackage> {
  const version = p.version ?? '1.0-r0';
  const arch = p.arch ?? 'x86_64';
  const pkginfo = `pkgname = ${p.name}\npkgver = ${version}\narch = ${arch}\n`;
  const control = gzipSync(
    Buffer.concat([
      encodeTarHeader({
        name: '.PKGINFO',
        type: 'file',
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: pkginfo.length,
        mtime: 0,
      }),
      Buffer.from(pkginfo),
      tarPadding(pkginfo.length),
    ]),
  );
  const data = gzipSync(dataTar(p.files));
  const sha1 = createHash('sha1').update(control).digest();
  const sha256 = createHash('sha256').update(data).digest('hex');
  const controlPath = join(dir, `${sha1.toString('hex')}.ctl.tar.gz`);
  const dataPath = join(dir, `${sha256}.dat.tar.gz`);
  await writeFile(controlPath, control);
  await writeFile(dataPath, data);
  return {
    name: p.name,
    version,
    arch,
    ...(p.origin === undefined ? {} : { origin: p.origin }),
    license: 'MIT',
    description: `fixture ${p.name}`,
    buildTime: p.buildTime ?? 1_700_000_000,
    size: control.length + data.length,
    installedSize: p.files.reduce((n, f) => n + (f.data?.length ?? 0), 0),
    depends: [],
    provides: [],
    installIf: [],
    replaces: p.replaces ?? [],
    checksum: `Q1${sha1.toString('base64')}`,
    controlPath,
    dataPath,
  };
}

/** A build request for fixture packages with the usual defaults. */
export async function fixtureRequest(
  dir: string,
  packages: FixturePackage[],
  extra: Partial<BuildRequest> = {},
): Promise<BuildRequest> {
  const built: BuildPackage[] = [];
  for (const p of packages) built.push(await writeFixturePackage(dir, p));
  return {
    arch: 'x86_64',
    image: {},
    packages: built,
    world: packages.map((p) => p.name),
    repositories: ['http://127.0.0.1:8080/main'],
    keys: [
      { name: 'test.rsa.pub', pem: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' },
    ],
    ...extra,
  };
}

/** A fresh temporary directory and its remover. */
export async function tempDir(
  prefix: string,
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `apkgraph-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
