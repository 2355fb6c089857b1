import { describe, expect, it } from 'vitest';
import { newPackageRecord, type PackageRecord } from '../apk/types.js';
import type { ApkgraphError } from '../errors.js';
import { resolve } from './resolve.js';
import { buildUniverse, murmur3, type Repository } from './universe.js';

function pkg(name: string, version: string, extra: Partial<PackageRecord> = {}): PackageRecord {
  return { ...newPackageRecord(name, version, 'x86_64'), installedSize: 100, ...extra };
}

function names(world: string[], repos: Repository[]): string[] {
  const u = buildUniverse(repos, { arch: 'x86_64' });
  return resolve(world, u).packages.map((p) => `${p.name}=${p.version}`);
}

function failure(world: string[], repos: Repository[]): ApkgraphError {
  const u = buildUniverse(repos, { arch: 'x86_64' });
  try {
    resolve(world, u);
  } catch (err) {
    return err as ApkgraphError;
  }
  throw new Error('expected the resolve to fail');
}

const main = (...packages: PackageRecord[]): Repository => ({
  url: 'https://r.invalid/main',
  packages,
});

describe('resolve', () => {
  it('installs dependencies before the packages that need them', () => {
    // app needs a shared library that libz provides; libz needs libc.
    const repo = main(
      pkg('app', '1.0-r0', { depends: ['so:libz.so.1', 'musl'] }),
      pkg('libz', '1.3-r0', { depends: ['musl'], provides: ['so:libz.so.1=1.3'] }),
      pkg('musl', '1.2-r0'),
    );
    expect(names(['app'], [repo])).toEqual(['musl=1.2-r0', 'libz=1.3-r0', 'app=1.0-r0']);
  });

  it('picks the highest version, and on a tie the first repository', () => {
    const a = { url: 'https://a.invalid', packages: [pkg('x', '1.0-r0', { checksum: 'Q1a' })] };
    const b = {
      url: 'https://b.invalid',
      packages: [pkg('x', '1.1-r0'), pkg('y', '2.0-r0', { checksum: 'Q1b' })],
    };
    const c = { url: 'https://c.invalid', packages: [pkg('y', '2.0-r0', { checksum: 'Q1c' })] };
    const u = buildUniverse([a, b, c], { arch: 'x86_64' });
    const res = resolve(['x', 'y'], u).packages;
    expect(res.map((p) => `${p.name}=${p.version}@${p.repository}`)).toEqual([
      'x=1.1-r0@https://b.invalid',
      'y=2.0-r0@https://b.invalid',
    ]);
  });

  it('ranks providers by provided version before provider priority', () => {
    // Like cmd:sh in Alpine v3.22: yash-binsh provides a higher cmd:sh version than busybox's
    // k:100 provider, and apk picks by version first.
    const repo = main(
      pkg('busybox-binsh', '1.37-r0', { provides: ['cmd:sh=1.37-r0'], providerPriority: 100 }),
      pkg('yash-binsh', '2.58-r0', { provides: ['cmd:sh=2.58-r0'] }),
      pkg('dash-binsh', '0.5-r0', { provides: ['/bin/sh=0.5'], providerPriority: 60 }),
      pkg('mksh-binsh', '0.5-r0', { provides: ['/bin/sh=0.5'], providerPriority: 10 }),
    );
    expect(names(['cmd:sh'], [repo])).toEqual(['yash-binsh=2.58-r0']);
    expect(names(['/bin/sh'], [repo])).toEqual(['dash-binsh=0.5-r0']);
  });

  it('never picks an unversioned provider without priority on its own', () => {
    const repo = main(
      pkg('busybox', '1.31-r0', { provides: ['/bin/sh'] }),
      pkg('curl', '7.0-r0', { depends: ['/bin/sh'] }),
    );
    const err = failure(['curl'], [repo]);
    expect(err.code).toBe('ERR_RESOLVE');
    expect(err.message).toContain('/bin/sh: no package could be chosen');
    expect(err.message).toContain('name it explicitly');
    expect(names(['busybox', 'curl'], [repo])).toEqual(['busybox=1.31-r0', 'curl=7.0-r0']);
  });

  it('adds install_if packages once their triggers are installed', () => {
    const repo = main(
      pkg('docs', '1-r0'),
      pkg('bash', '5.2-r0'),
      pkg('bash-doc', '5.2-r0', { installIf: ['docs', 'bash=5.2-r0'] }),
    );
    expect(names(['bash'], [repo])).toEqual(['bash=5.2-r0']);
    expect(names(['bash', 'docs'], [repo]).sort()).toEqual([
      'bash-doc=5.2-r0',
      'bash=5.2-r0',
      'docs=1-r0',
    ]);
  });

  it('honours world conflicts and conflicts in dependencies', () => {
    const repo = main(
      pkg('curl', '8.0-r0', { depends: ['libcurl'] }),
      pkg('libcurl', '8.0-r0'),
      pkg('old', '1.0-r0', { depends: ['!libcurl'] }),
    );
    expect(failure(['curl', '!libcurl'], [repo]).message).toContain('breaks world[!libcurl]');
    expect(failure(['curl', 'old'], [repo]).code).toBe('ERR_RESOLVE');
    expect(names(['old'], [repo])).toEqual(['old=1.0-r0']);
  });

  it('fails when two chosen packages provide the same versioned name', () => {
    const repo = main(
      pkg('busybox-binsh', '1.37-r0', { provides: ['cmd:sh=1.37-r0'] }),
      pkg('dash-binsh', '0.5-r0', { provides: ['cmd:sh=0.5-r0'] }),
    );
    const err = failure(['busybox-binsh', 'dash-binsh'], [repo]);
    expect(err.message).toContain('it provides cmd:sh');
  });

  it('uses a pinned repository only for constraints that name its tag', () => {
    const edge: Repository = {
      url: 'https://r.invalid/edge',
      pin: 'edge',
      packages: [pkg('new', '2.0-r0')],
    };
    const repos = [main(pkg('base', '1.0-r0')), edge];
    expect(failure(['new'], repos).message).toContain('its repository is pinned');
    expect(names(['new@edge'], repos)).toEqual(['new=2.0-r0']);
    expect(failure(['base@nope'], repos).message).toContain('no repository has that tag');
  });

  it('lets a later world entry for a name replace an earlier one', () => {
    const repo = main(pkg('x', '1.0-r0'), pkg('x', '2.0-r0'));
    expect(names(['x<2', 'x'], [repo])).toEqual(['x=2.0-r0']);
    expect(names(['x', 'x<2'], [repo])).toEqual(['x=1.0-r0']);
  });

  it('keeps locked versions of packages it installs', () => {
    const repo = main(
      pkg('lib', '1.0-r0'),
      pkg('lib', '1.1-r0'),
      pkg('tool', '1.0-r0', { depends: ['lib'] }),
    );
    const u = buildUniverse([repo], { arch: 'x86_64' });
    const locked = new Map([['lib', '1.0-r0']]);
    expect(resolve(['tool'], u, { locked }).packages.map((p) => p.version)).toEqual([
      '1.0-r0',
      '1.0-r0',
    ]);
    expect(resolve(['tool'], u).packages.map((p) => p.version)).toEqual(['1.1-r0', '1.0-r0']);
  });

  it('reports an unknown package with who required it', () => {
    const repo = main(pkg('app', '1.0-r0', { depends: ['missing-lib'] }));
    const err = failure(['app'], [repo]);
    expect(err.message).toContain('missing-lib: no such package');
    expect(err.message).toContain('required by app-1.0-r0[missing-lib]');
  });

  it('rejects a malformed constraint with ERR_CONSTRAINT', () => {
    expect(failure(['busybox=abc'], [main(pkg('busybox', '1.0-r0'))]).code).toBe('ERR_CONSTRAINT');
  });
});

describe('murmur3', () => {
  it('matches the reference MurmurHash3 x86_32 vectors', () => {
    const e = new TextEncoder();
    expect(murmur3(e.encode(''), 0)).toBe(0);
    expect(murmur3(e.encode(''), 1)).toBe(0x514e28b7);
    expect(murmur3(e.encode('a'), 0)).toBe(0x3c2569b2);
    expect(murmur3(e.encode('abcd'), 0)).toBe(0x43ed676a);
    expect(murmur3(e.encode('hello'), 0)).toBe(0x248bfa47);
    expect(murmur3(e.encode('The quick brown fox jumps over the lazy dog'), 0x9747b28c)).toBe(
      0x2fa826cd,
    );
  });
});
