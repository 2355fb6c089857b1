import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { describeRealdata, realdata } from '../../test/realdata.js';
import { newPackageRecord, type PackageRecord } from '../apk/types.js';
import { buildUniverse, type Universe } from '../resolve/universe.js';
import {
  archsOf,
  configChecksum,
  lockedVersionsByArch,
  readApkoLock,
  toApkoLockJson,
} from './apko-lock.js';
import { lockImage } from './lock-image.js';

function pkg(name: string, version: string, extra: Partial<PackageRecord> = {}): PackageRecord {
  return { ...newPackageRecord(name, version, 'noarch'), installedSize: 1, ...extra };
}

function universe(arch: string, packages: PackageRecord[]): Universe {
  return buildUniverse([{ url: 'https://repo.invalid/main', packages }], { arch });
}

// Two architectures that agree on musl but not on the configured `tool` (aarch64 lags a
// release) nor on its library; `helper` exists only on x86_64 as tool's extra dependency.
const x86 = universe('x86_64', [
  pkg('musl', '1.2.5-r0'),
  pkg('libtool', '2.0-r0', { depends: ['musl'] }),
  pkg('helper', '1.0-r0'),
  pkg('tool', '2.0-r0', { depends: ['libtool', 'helper'], checksum: 'Q1AAAA' }),
]);
const arm = universe('aarch64', [
  pkg('musl', '1.2.5-r0'),
  pkg('libtool', '1.9-r0', { depends: ['musl'] }),
  pkg('tool', '1.9-r0', { depends: ['libtool'] }),
]);
const both = new Map([
  ['x86_64', x86],
  ['aarch64', arm],
]);

describe('lockImage', () => {
  it('pins what all architectures agree on and keeps configured constraints that differ', () => {
    const lock = lockImage({ config: { contents: { packages: ['tool'] } }, universes: both });
    expect(lock.perArch.get('x86_64')).toEqual([
      'musl=1.2.5-r0',
      'libtool=2.0-r0',
      'helper=1.0-r0',
      'tool=2.0-r0',
    ]);
    expect(lock.perArch.get('aarch64')).toEqual(['musl=1.2.5-r0', 'libtool=1.9-r0', 'tool=1.9-r0']);
    expect(lock.index).toEqual(['musl=1.2.5-r0', 'tool']);
    expect(lock.differences.map((d) => [d.name, d.configured])).toEqual([
      ['libtool', false],
      ['helper', false],
      ['tool', true],
    ]);
  });

  it('fails with ERR_LOCK naming the package when consistency is required', () => {
    expect(() =>
      lockImage({
        config: { contents: { packages: ['tool'] } },
        universes: both,
        requireConsistent: true,
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_LOCK',
        message: expect.stringContaining('tool') as string,
      }),
    );
  });

  it('keeps locked versions and adds only the extras (latest-dev from latest)', () => {
    const u = universe('x86_64', [
      pkg('musl', '1.2.5-r0'),
      pkg('musl', '1.2.6-r0'),
      pkg('app', '1.0-r0', { depends: ['musl'] }),
      pkg('bash', '5.2-r0', { depends: ['musl'] }),
    ]);
    const universes = new Map([['x86_64', u]]);
    const lockedByArch = new Map([
      [
        'x86_64',
        new Map([
          ['musl', '1.2.5-r0'],
          ['app', '1.0-r0'],
        ]),
      ],
    ]);
    const dev = lockImage({
      config: { contents: { packages: ['app'] } },
      universes,
      extraPackages: ['bash'],
      lockedByArch,
    });
    expect(dev.perArch.get('x86_64')).toEqual(['musl=1.2.5-r0', 'app=1.0-r0', 'bash=5.2-r0']);
    const floating = lockImage({ config: { contents: { packages: ['bash'] } }, universes });
    expect(floating.perArch.get('x86_64')).toEqual(['musl=1.2.6-r0', 'bash=5.2-r0']);
  });
});

describe('toApkoLockJson', () => {
  it('writes apko-shaped repositories, URLs, ranges and checksums', () => {
    const lock = lockImage({
      config: { contents: { packages: ['tool'] } },
      universes: new Map([['x86_64', x86]]),
    });
    const json = toApkoLockJson({
      archs: archsOf(lock),
      configName: 'apko.yaml',
      configInput: { contents: { packages: ['tool'] } },
      repositories: ['https://repo.invalid/main'],
      keyring: [{ url: 'https://repo.invalid/key.rsa.pub', content: 'PEM' }],
      sectionsFor: (p) =>
        p.record.name === 'tool'
          ? {
              signature: { length: 667, checksum: 'sha1-s' },
              control: { length: 524, checksum: 'sha1-c' },
              data: { length: 411013, checksum: 'sha256-d' },
            }
          : undefined,
    });
    expect(json.contents.repositories).toEqual([
      {
        name: 'repo.invalid/main/x86_64',
        url: 'https://repo.invalid/main/x86_64/APKINDEX.tar.gz',
        architecture: 'x86_64',
      },
    ]);
    expect(json.contents.keyring).toEqual([
      { name: 'repo.invalid/key.rsa.pub', url: 'https://repo.invalid/key.rsa.pub', content: 'PEM' },
    ]);
    const tool = json.contents.packages.find((p) => p.name === 'tool');
    expect(tool).toEqual({
      name: 'tool',
      url: 'https://repo.invalid/main/x86_64/tool-2.0-r0.apk',
      version: '2.0-r0',
      architecture: 'x86_64',
      signature: { range: 'bytes=0-666', checksum: 'sha1-s' },
      control: { range: 'bytes=667-1190', checksum: 'sha1-c' },
      data: { range: 'bytes=1191-412203', checksum: 'sha256-d' },
      checksum: 'Q1AAAA',
    });
    expect(json.contents.packages.find((p) => p.name === 'musl')).not.toHaveProperty('control');
    expect(json.config?.checksum).toMatch(/^sha256-[A-Za-z0-9+/]{43}=$/);
    expect(readApkoLock(JSON.stringify(json))).toEqual(json);
  });

  it('checksums configs independently of key order', () => {
    expect(configChecksum({ a: 1, b: [1, 2] })).toBe(configChecksum({ b: [1, 2], a: 1 }));
    expect(configChecksum({ a: 1 })).not.toBe(configChecksum({ a: 2 }));
  });
});

describe('readApkoLock', () => {
  it('rejects a file that is not a v1 lock', () => {
    expect(() => readApkoLock('{"version":"v2","contents":{}}')).toThrow(/unsupported version/);
    expect(() => readApkoLock('{"version":"v1","contents":{"packages":[{"name":1}]}}')).toThrow(
      /packages\[0\]\.name must be a string/,
    );
  });
});

describeRealdata('readApkoLock on real lock files', () => {
  it('reads every apko and rules_apko lock and keeps the fields apkgraph writes', async () => {
    let count = 0;
    for (const dir of ['images/rules_apko', 'images/apko-testdata-locks']) {
      for (const f of await readdir(realdata(dir))) {
        if (!f.endsWith('.lock.json')) continue;
        const text = await readFile(realdata(dir, f), 'utf8');
        const lock = readApkoLock(text, f);
        const raw = JSON.parse(text) as { contents: { packages: unknown[] } };
        expect(lock.contents.packages).toHaveLength(raw.contents.packages.length);
        for (const p of lock.contents.packages) {
          expect(p.url.endsWith(`/${p.name}-${p.version}.apk`)).toBe(true);
          if (p.checksum && p.control?.checksum) {
            // C: is Q1 + base64(sha1(control)); the lock's control checksum is the same digest.
            expect(p.checksum.slice(2)).toBe(p.control.checksum.replace(/^sha1-/, ''));
          }
        }
        expect(lockedVersionsByArch(lock).size).toBeGreaterThanOrEqual(
          lock.contents.packages.length ? 1 : 0,
        );
        count++;
      }
    }
    expect(count).toBeGreaterThanOrEqual(10);
  });
});
