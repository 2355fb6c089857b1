import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CacheLayout, checksumToHex, defaultCacheRoot, hexToChecksum } from './layout.js';

describe('CacheLayout', () => {
  const layout = new CacheLayout('/c');
  const sha1 = 'a9993e364706816aba3e25717850c26c9cd0d89d';
  const pkg = {
    repository: 'https://packages.wolfi.dev/os/',
    arch: 'x86_64',
    name: 'zlib',
    version: '1.3.1-r0',
    checksum: hexToChecksum(sha1),
  };

  it('names directories the way go-apk does', () => {
    expect(layout.repositoryDir(pkg.repository)).toBe('/c/https%3A%2F%2Fpackages.wolfi.dev%2Fos');
    expect(layout.indexPath(pkg.repository, 'x86_64', 'foobar')).toBe(
      '/c/https%3A%2F%2Fpackages.wolfi.dev%2Fos/x86_64/APKINDEX/MZXW6YTBOI======.tar.gz',
    );
    const paths = layout.entryPaths(pkg);
    expect(paths.dir).toBe('/c/https%3A%2F%2Fpackages.wolfi.dev%2Fos/x86_64/zlib-1.3.1-r0');
    expect(paths.controlPath).toBe(join(paths.dir, `${sha1}.ctl.tar.gz`));
    expect(paths.signaturePath).toBe(join(paths.dir, `${sha1}.sig.tar.gz`));
  });

  it('escapes like Go url.QueryEscape, not encodeURIComponent', () => {
    expect(layout.repositoryDir('file:///srv/my repo/(x)!')).toBe(
      '/c/file%3A%2F%2F%2Fsrv%2Fmy+repo%2F%28x%29%21',
    );
  });

  it('refuses package names that would leave the root', () => {
    expect(() => layout.packageDir({ ...pkg, name: '../../etc/x' })).toThrow(
      expect.objectContaining({ code: 'ERR_UNSAFE_PATH' }),
    );
    expect(() => layout.archDir(pkg.repository, '..')).toThrow(
      expect.objectContaining({ code: 'ERR_UNSAFE_PATH' }),
    );
  });

  it('converts Q1 checksums to hex and back', () => {
    expect(checksumToHex(hexToChecksum(sha1))).toBe(sha1);
    expect(() => checksumToHex('Q2abc')).toThrow(
      expect.objectContaining({ code: 'ERR_INDEX_FORMAT' }),
    );
  });

  it('puts the default root under XDG_CACHE_HOME when set', () => {
    expect(defaultCacheRoot({ XDG_CACHE_HOME: '/x' })).toBe('/x/apkgraph');
    expect(defaultCacheRoot({})).toMatch(/\.cache\/apkgraph$/);
  });
});
