import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeApkIndex } from '../../apk/apkindex-file.js';
import { generateSigningKey } from '../../apk/keys.js';
import { newPackageRecord, type PackageRecord } from '../../apk/types.js';
import { readApkoLock } from '../../lock/apko-lock.js';
import { main } from '../main.js';

function pkg(name: string, version: string, depends: string[] = []): PackageRecord {
  return {
    ...newPackageRecord(name, version, 'x86_64'),
    installedSize: 1,
    depends,
    checksum: `Q1${name}=`,
  };
}

// A signed two-package repository in a temp dir, and an apko config that uses it.
describe('resolve and lock commands', () => {
  let dir = '';
  let out = '';
  const key = generateSigningKey('test', 1024);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apkgraph-cli-'));
    await mkdir(join(dir, 'repo', 'x86_64'), { recursive: true });
    const index = writeApkIndex({
      packages: [pkg('musl', '1.2-r0'), pkg('app', '1.0-r0', ['musl'])],
      key,
    });
    await writeFile(join(dir, 'repo', 'x86_64', 'APKINDEX.tar.gz'), index);
    await writeFile(join(dir, key.name), key.publicKeyPem);
    await writeFile(
      join(dir, 'apko.yaml'),
      `contents:\n  repositories: [./repo]\n  keyring: [./${key.name}]\n` +
        `  packages: [app]\narchs: [amd64]\n`,
    );
    out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('prints name=version in install order', async () => {
    expect(await main(['node', 'apkgraph', 'resolve', join(dir, 'apko.yaml')])).toBe(0);
    expect(out).toBe('musl=1.2-r0\napp=1.0-r0\n');
  });

  it('writes an apko lock next to the config', async () => {
    expect(await main(['node', 'apkgraph', 'lock', join(dir, 'apko.yaml')])).toBe(0);
    const lock = readApkoLock(await readFile(join(dir, 'apko.lock.json'), 'utf8'));
    expect(lock.contents.packages.map((p) => [p.name, p.architecture, p.checksum])).toEqual([
      ['musl', 'x86_64', 'Q1musl='],
      ['app', 'x86_64', 'Q1app='],
    ]);
    expect(lock.contents.repositories[0]?.url).toBe(join(dir, 'repo', 'x86_64', 'APKINDEX.tar.gz'));
    expect(lock.contents.keyring[0]?.content).toBe(key.publicKeyPem);
  });

  it('fails with exit code 1 when the index is signed by an untrusted key', async () => {
    const other = generateSigningKey('other', 1024);
    await writeFile(join(dir, 'other.rsa.pub'), other.publicKeyPem);
    const code = await main([
      'node',
      'apkgraph',
      'resolve',
      join(dir, 'apko.yaml'),
      '--keyring',
      join(dir, 'other.rsa.pub'),
    ]);
    expect(code).toBe(1);
    expect(out).toBe('');
  });
});
