import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { failWrites, ioError } from '../../test/failing-fs.js';
import type { ApkgraphError } from '../errors.js';
import { splitApk } from './apk-reader.js';
import { inspectApkFile, verifyApkFile } from './apk-verify.js';
import { writeApk, writeApkToFile, type ApkSpec } from './apk-writer.js';
import { createKeyring, generateSigningKey } from './keys.js';

vi.mock('node:fs', async (importOriginal) =>
  (await import('../../test/failing-fs.js')).withFailingWrites(await importOriginal()),
);

const key = generateSigningKey('packager');
const keyring = createKeyring([{ name: key.name, pem: key.publicKeyPem }]);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apkgraph-apk-writer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function spec(extra: Partial<ApkSpec> = {}): ApkSpec {
  return {
    pkginfo: [
      ['pkgname', 'hello'],
      ['pkgver', '2.12-r1'],
      ['arch', 'x86_64'],
      ['builddate', '1700000000'],
      ['depend', 'so:libc.musl-x86_64.so.1'],
      ['provides', 'cmd:hello=2.12-r1'],
    ],
    files: [
      { path: 'usr/bin/hello', content: 'hello binary\n', mode: 0o755 },
      { path: 'usr/bin/hi', type: 'symlink', linkname: 'hello' },
      { path: `usr/share/${'long-name-'.repeat(12)}`, content: new Uint8Array(3000).fill(7) },
    ],
    key,
    scripts: { '.post-install': '#!/bin/sh\necho hi\n' },
    ...extra,
  };
}

async function put(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

function codeOf(err: unknown): string {
  return (err as ApkgraphError).code;
}

describe('writeApk', () => {
  it('writes a package that verifies end to end', async () => {
    const { bytes, record } = writeApk(spec());
    const path = await put('hello.apk', bytes);
    const r = await verifyApkFile(path, { expectedChecksum: record.checksum, keyring });
    expect(r.name).toBe('hello');
    expect(r.checksum).toBe(record.checksum);
    expect(r.datahashOk).toBe(true);
    expect(r.signature).toMatchObject({
      keyName: 'packager.rsa.pub',
      algorithm: 'RSA256',
      verified: true,
    });
    expect(r.files.map((f) => `${f.type} ${f.path}`)).toEqual([
      'directory usr',
      'directory usr/bin',
      'file usr/bin/hello',
      'symlink usr/bin/hi',
      'directory usr/share',
      `file usr/share/${'long-name-'.repeat(12)}`,
    ]);
    expect(r.files[2]).toMatchObject({ mode: 0o755, size: 13 });
    expect(record).toMatchObject({
      name: 'hello',
      version: '2.12-r1',
      arch: 'x86_64',
      size: bytes.length,
      installedSize: 13 + 3000,
      buildTime: 1700000000,
      depends: ['so:libc.musl-x86_64.so.1'],
      provides: ['cmd:hello=2.12-r1'],
    });
    expect(r.pkginfo.at(-1)?.[0]).toBe('datahash');
  });

  it('writes the same bytes for the same spec', () => {
    const a = writeApk(spec()).bytes;
    const b = writeApk(spec()).bytes;
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
  });

  it('writes an unsigned package with two gzip members', async () => {
    const { bytes, record } = writeApk(spec({ key: undefined }));
    const r = await verifyApkFile(await put('unsigned.apk', bytes), { keyring });
    expect(r.signature).toBeUndefined();
    expect(r.checksum).toBe(record.checksum);
  });

  it('produces a package whose tampered data fails on datahash', async () => {
    const bytes = Buffer.from(writeApk(spec({ key: undefined })).bytes);
    const other = Buffer.from(
      writeApk(spec({ key: undefined, files: [{ path: 'evil', content: 'x' }] })).bytes,
    );
    // Same control member, data member from another package.
    const spliced = Buffer.concat([
      bytes.subarray(0, await headLength(bytes)),
      other.subarray(await headLength(other)),
    ]);
    const path = await put('spliced.apk', spliced);
    await expect(verifyApkFile(path)).rejects.toThrow(
      /hello-2.12-r1: data SHA-256 .* differs from .PKGINFO datahash/,
    );
  });

  it('fails on the control checksum when the index says otherwise', async () => {
    const path = await put('c.apk', writeApk(spec()).bytes);
    const err = await verifyApkFile(path, {
      expectedChecksum: 'Q1AAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('ERR_APK_CHECKSUM');
    expect((err as Error).message).toMatch(/control checksum .* differs from the index's C:Q1AAAA/);
  });

  it('fails when the signature is by another key of the same name', async () => {
    const impostor = { ...generateSigningKey('x'), name: key.name };
    const path = await put('sig.apk', writeApk(spec({ key: impostor })).bytes);
    expect(codeOf(await verifyApkFile(path, { keyring }).catch((e: unknown) => e))).toBe(
      'ERR_SIGNATURE',
    );
    expect((await inspectApkFile(path, { keyring })).signature?.verified).toBe(false);
  });
});

/** Bytes of the signature and control members at the front of a package. */
async function headLength(apk: Uint8Array): Promise<number> {
  const s = await splitApk([apk]);
  return (s.signature?.bytes.length ?? 0) + s.control.bytes.length;
}

describe('writeApkToFile', () => {
  it('streams file contents and writes the same bytes as writeApk', async () => {
    const payload = new Uint8Array(200_000).map((_, i) => i % 251);
    const src = await put('payload.bin', payload);
    const inMemory = writeApk(spec({ files: [{ path: 'opt/blob', content: payload }] }));
    const out = join(dir, 'streamed.apk');
    const record = await writeApkToFile(
      out,
      spec({ files: [{ path: 'opt/blob', contentFile: src }] }),
    );
    expect(Buffer.compare(await readFile(out), Buffer.from(inMemory.bytes))).toBe(0);
    expect(record).toEqual(inMemory.record);
  });

  it('rejects and leaves nothing when the disk fails', async () => {
    const out = join(dir, 'failing', 'p.apk');
    failWrites(ioError());
    try {
      await expect(
        writeApkToFile(out, spec({ files: [{ path: 'opt/blob', content: 'x'.repeat(70_000) }] })),
      ).rejects.toMatchObject({ code: 'EIO' });
    } finally {
      failWrites(undefined);
    }
    expect(await readdir(join(dir, 'failing'))).toEqual([]);
  });
});
