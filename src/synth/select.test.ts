import { describe, expect, it } from 'vitest';
import { newPackageRecord, type PackageRecord } from '../apk/types.js';
import { dependencyName, selectNeeded, unknownNames } from './select.js';

function rec(name: string, fields: Partial<PackageRecord> = {}): PackageRecord {
  return { ...newPackageRecord(name, '1.0-r0', 'x86_64'), ...fields };
}

describe('dependencyName', () => {
  it('strips conflicts and version constraints', () => {
    expect(dependencyName('so:libz.so.1>=1.2')).toBe('so:libz.so.1');
    expect(dependencyName('!foo')).toBe('foo');
    expect(dependencyName('bar=1.0-r0')).toBe('bar');
    expect(dependencyName('baz~1.2')).toBe('baz');
  });
});

describe('selectNeeded', () => {
  const index = [
    rec('curl', { depends: ['so:libcurl.so.4', 'ca-certificates'] }),
    rec('libcurl', { provides: ['so:libcurl.so.4=4.8.0'], depends: ['so:libz.so.1'] }),
    rec('zlib', { provides: ['so:libz.so.1=1.3.1'] }),
    rec('ca-certificates'),
    rec('busybox-binsh', { provides: ['/bin/sh', 'cmd:sh'] }),
    rec('dash-binsh', { provides: ['/bin/sh', 'cmd:sh'] }),
    rec('curl-doc', { installIf: ['curl=1.0-r0', 'docs'] }),
    rec('docs'),
    rec('unrelated', { depends: ['zlib'] }),
    rec('conflicted', { depends: ['!curl'] }),
  ];
  const names = (rs: PackageRecord[]): string[] => rs.map((r) => r.name);

  it('follows dependencies through provides', () => {
    expect(names(selectNeeded(index, ['curl']))).toEqual([
      'curl',
      'libcurl',
      'zlib',
      'ca-certificates',
    ]);
  });

  it('takes every provider of a virtual name', () => {
    expect(names(selectNeeded(index, ['cmd:sh']))).toEqual(['busybox-binsh', 'dash-binsh']);
  });

  it('adds install_if packages once all their conditions are present', () => {
    expect(names(selectNeeded(index, ['curl', 'docs']))).toContain('curl-doc');
    expect(names(selectNeeded(index, ['curl']))).not.toContain('curl-doc');
  });

  it('does not follow conflicts', () => {
    expect(names(selectNeeded(index, ['conflicted']))).toEqual(['conflicted']);
  });

  it('names what no record is or provides', () => {
    expect(unknownNames(index, ['curl', 'nope', 'so:libz.so.1', 'cmd:sh'])).toEqual(['nope']);
  });
});
