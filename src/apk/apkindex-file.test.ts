import { describe, expect, it } from 'vitest';
import { ApkgraphError } from '../errors.js';
import { readApkIndex } from './apkindex-file.js';
import { writeApkIndex } from './apkindex-file.js';
import { createKeyring, generateSigningKey } from './keys.js';
import { newPackageRecord } from './types.js';

const key = generateSigningKey('repo');
const other = generateSigningKey('other');
const keyring = createKeyring([{ name: key.name, pem: key.publicKeyPem }]);

function records(): ReturnType<typeof newPackageRecord>[] {
  const a = newPackageRecord('hello', '1.0-r0', 'x86_64');
  a.checksum = 'Q1/dy61M3wkuQsY22lN0Ou8WqzFTQ=';
  a.size = 1234;
  a.depends = ['so:libc.musl-x86_64.so.1'];
  const b = newPackageRecord('world', '2.0-r1', 'x86_64');
  b.provides = ['cmd:world=2.0-r1'];
  return [a, b];
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as ApkgraphError).code;
  }
  return 'no error';
}

describe('writeApkIndex / readApkIndex', () => {
  it('round-trips records and verifies the signature', () => {
    for (const algorithm of ['RSA', 'RSA256'] as const) {
      const bytes = writeApkIndex({
        packages: records(),
        description: 'test repo',
        key,
        algorithm,
      });
      const index = readApkIndex(bytes, { keyring, source: 'mem' });
      expect(index.packages).toEqual(records());
      expect(index.description).toBe('test repo');
      expect(index.signatures).toEqual([{ keyName: 'repo.rsa.pub', algorithm, verified: true }]);
      expect(index.verifiedBy).toBe('repo.rsa.pub');
    }
  });

  it('finds the key when the signature names it without .rsa.pub', () => {
    const renamed = { ...key, name: 'repo' };
    const bytes = writeApkIndex({ packages: records(), key: renamed });
    expect(readApkIndex(bytes, { keyring }).verifiedBy).toBe('repo');
  });

  it('is deterministic', () => {
    const a = writeApkIndex({ packages: records(), key });
    const b = writeApkIndex({ packages: records(), key });
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
  });

  it('refuses an index signed by a key outside the keyring', () => {
    const bytes = writeApkIndex({ packages: records(), key: other });
    expect(() => readApkIndex(bytes, { keyring, source: 'x/APKINDEX.tar.gz' })).toThrow(
      /x\/APKINDEX.tar.gz is signed by other.rsa.pub, which is not in the keyring \(repo.rsa.pub\)/,
    );
  });

  it('refuses an index whose signature does not verify', () => {
    // Same key name, different key: the signature cannot verify.
    const impostor = { ...other, name: key.name };
    const bytes = writeApkIndex({ packages: records(), key: impostor });
    expect(codeOf(() => readApkIndex(bytes, { keyring }))).toBe('ERR_SIGNATURE');
  });

  it('refuses an unsigned index unless allowed', () => {
    const bytes = writeApkIndex({ packages: records() });
    expect(codeOf(() => readApkIndex(bytes, { keyring }))).toBe('ERR_UNTRUSTED');
    expect(readApkIndex(bytes, { allowUnsigned: true }).packages).toHaveLength(2);
  });

  it('reads a large unsigned index', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => {
      const r = newPackageRecord(`pkg-${i}`, '1.0-r0', 'x86_64');
      r.description = 'a package with a description long enough to make the index big';
      return r;
    });
    const bytes = writeApkIndex({ packages: many });
    expect(readApkIndex(bytes, { allowUnsigned: true }).packages).toHaveLength(20_000);
    expect(codeOf(() => readApkIndex(bytes.subarray(0, 5000), { allowUnsigned: true }))).toBe(
      'ERR_INDEX_TRUNCATED',
    );
  });

  it('reads plain-text indexes only when unsigned indexes are allowed', () => {
    const text = Buffer.from('P:a\nV:1-r0\nA:noarch\n\n');
    expect(codeOf(() => readApkIndex(text, { keyring }))).toBe('ERR_UNTRUSTED');
    expect(readApkIndex(text, { allowUnsigned: true }).packages[0]?.name).toBe('a');
  });

  it('reports a truncated index as truncated, naming the file', () => {
    const bytes = writeApkIndex({ packages: records(), key });
    const cut = bytes.subarray(0, bytes.length - 40);
    expect(() => readApkIndex(cut, { keyring, source: 'cut.tar.gz' })).toThrow(
      /index cut.tar.gz is truncated/,
    );
    expect(codeOf(() => readApkIndex(cut, { keyring }))).toBe('ERR_INDEX_TRUNCATED');
  });

  it('refuses an index whose index member was altered', () => {
    const bytes = Buffer.from(writeApkIndex({ packages: records(), key }));
    const other = Buffer.from(writeApkIndex({ packages: records().slice(0, 1) }));
    // Keep the signature member, swap in a different (valid gzip) index member.
    const sigEnd = bytes.length - Buffer.from(writeApkIndex({ packages: records() })).length;
    const spliced = Buffer.concat([bytes.subarray(0, sigEnd), other]);
    expect(codeOf(() => readApkIndex(spliced, { keyring }))).toBe('ERR_SIGNATURE');
  });

  it('bounds the decompressed size', () => {
    const bytes = writeApkIndex({ packages: records(), key });
    expect(codeOf(() => readApkIndex(bytes, { keyring, maxDecompressedBytes: 100 }))).toBe(
      'ERR_SIZE_LIMIT',
    );
  });
});
