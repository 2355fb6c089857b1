/** `apkgraph index inspect` and `apkgraph apk inspect`: output and exit codes. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { splitApk } from '../src/apk/apk-reader.js';
import { writeApk } from '../src/apk/apk-writer.js';
import { writeApkIndex } from '../src/apk/apkindex-file.js';
import { generateSigningKey } from '../src/apk/keys.js';
import { runCli } from './cli-run.js';

const key = generateSigningKey('repo');
const stranger = generateSigningKey('stranger');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apkgraph-cli-inspect-'));
  await writeFile(join(dir, 'repo.rsa.pub'), key.publicKeyPem);
  await writeFile(join(dir, 'stranger.rsa.pub'), stranger.publicKeyPem);
  const pkg = writeApk({
    pkginfo: [
      ['pkgname', 'hello'],
      ['pkgver', '1-r0'],
      ['arch', 'x86_64'],
    ],
    files: [{ path: 'usr/bin/hello', content: 'hi\n', mode: 0o755 }],
    key,
  });
  await writeFile(join(dir, 'hello.apk'), pkg.bytes);
  // This package's signature and control, another package's data: datahash no longer matches.
  const other = writeApk({
    pkginfo: [
      ['pkgname', 'other'],
      ['pkgver', '1-r0'],
    ],
    files: [{ path: 'evil', content: 'x' }],
  });
  const head = async (b: Uint8Array): Promise<number> => {
    const s = await splitApk([b]);
    return (s.signature?.bytes.length ?? 0) + s.control.bytes.length;
  };
  const spliced = Buffer.concat([
    pkg.bytes.subarray(0, await head(pkg.bytes)),
    other.bytes.subarray(await head(other.bytes)),
  ]);
  await writeFile(join(dir, 'bad.apk'), spliced);
  // A flipped byte in the data member's gzip trailer: the data cannot be read at all.
  const corrupt = Buffer.from(pkg.bytes);
  corrupt[corrupt.length - 5] = (corrupt[corrupt.length - 5] ?? 0) ^ 0xff;
  await writeFile(join(dir, 'corrupt.apk'), corrupt);
  await writeFile(
    join(dir, 'APKINDEX.tar.gz'),
    writeApkIndex({ packages: [pkg.record], description: 'cli test', key }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

const run = (...args: string[]) => runCli(args);

describe('index inspect', () => {
  it('prints count, description and a verified signer, exiting 0', async () => {
    const r = await run(
      'index',
      'inspect',
      join(dir, 'APKINDEX.tar.gz'),
      '--keyring',
      join(dir, 'repo.rsa.pub'),
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('description: cli test');
    expect(r.out).toContain('packages: 1 (x86_64 1)');
    expect(r.out).toContain('signature: RSA256 repo.rsa.pub: verified');
  });

  it('exits 1 with ERR_UNTRUSTED when the keyring lacks the signer', async () => {
    const r = await run(
      'index',
      'inspect',
      join(dir, 'APKINDEX.tar.gz'),
      '--keyring',
      join(dir, 'stranger.rsa.pub'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('error[ERR_UNTRUSTED]');
    expect(r.err).toContain('repo.rsa.pub');
  });

  it('describes without verifying when no keyring is given, as JSON', async () => {
    const r = await run('index', 'inspect', '--json', join(dir, 'APKINDEX.tar.gz'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      packages: 1,
      checked: false,
      description: 'cli test',
    });
  });

  it('exits 2 without a file argument', async () => {
    expect((await run('index', 'inspect')).code).toBe(2);
  });
});

describe('apk inspect', () => {
  it('prints PKGINFO, hashes and files, exiting 0', async () => {
    const r = await run('apk', 'inspect', join(dir, 'hello.apk'), '--keyring', dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain('pkgname = hello');
    expect(r.out).toMatch(/control: {3}sha1 [0-9a-f]{40} = Q1/);
    expect(r.out).toMatch(/data: .* vs datahash [0-9a-f]{64}: ok/);
    expect(r.out).toContain('signature: RSA256 repo.rsa.pub');
    expect(r.out).toMatch(/file +0755 0:0 +3 usr\/bin\/hello/);
  });

  it('exits 1 naming the data hash when the data was altered', async () => {
    const r = await run('apk', 'inspect', join(dir, 'bad.apk'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('MISMATCH');
    expect(r.err).toContain('error[ERR_APK_CHECKSUM]');
    expect(r.err).toContain('hello-1-r0');
  });

  it('exits 1 with a gzip error when the data cannot be decompressed', async () => {
    const r = await run('apk', 'inspect', join(dir, 'corrupt.apk'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('error[ERR_GZIP]');
  });

  it('says an APKINDEX given as a package looks like an index and names index inspect', async () => {
    const file = join(dir, 'APKINDEX.tar.gz');
    const r = await run('apk', 'inspect', file);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${file} looks like a repository index, not a package`);
    expect(r.err).toContain('the first is a signature');
    expect(r.err).toContain(`apkgraph index inspect ${file}`);
  });

  it('exits 2 with one usage error for a --keyring that does not exist', async () => {
    const r = await run('apk', 'inspect', join(dir, 'hello.apk'), '--keyring', join(dir, 'nope'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('error[ERR_USAGE]: --keyring');
  });

  it('exits 1 when the expected checksum differs', async () => {
    const r = await run(
      'apk',
      'inspect',
      '--checksum',
      'Q1AAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      join(dir, 'hello.apk'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/control checksum/);
  });
});
