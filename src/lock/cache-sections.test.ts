import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeRealdata, realdata } from '../../test/realdata.js';
import { FetchPool } from '../cache/fetch-pool.js';
import { CacheLayout } from '../cache/layout.js';
import { PackageCache } from '../cache/package-cache.js';
import { writeFixtureRepo } from '../cache/test-fixtures.js';
import type { PackageRecord } from '../apk/types.js';
import { readApkoLock, toApkoLockJson } from './apko-lock.js';
import {
  lookupCachedEntries,
  newSectionsMemo,
  sectionKey,
  sectionsOfEntry,
} from './cache-sections.js';

let dir = '';
let records: PackageRecord[] = [];
let repo = '';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apkgraph-sections-'));
  repo = join(dir, 'repo');
  records = await writeFixtureRepo(repo, 'x86_64', [
    { name: 'one', version: '1.0-r0', payloadBytes: 300 },
    { name: 'two', version: '2.0-r0', payloadBytes: 300 },
  ]);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lockArch = () => [
  { arch: 'x86_64', packages: records.map((record) => ({ record, repository: repo })) },
];

async function fill(): Promise<void> {
  const fetcher = new FetchPool({ inProcess: true });
  const cache = new PackageCache({ root: join(dir, 'cache'), fetcher });
  try {
    const r = records[0]!;
    await cache.ensure({
      repository: repo,
      arch: 'x86_64',
      name: r.name,
      version: r.version,
      checksum: r.checksum!,
    });
  } finally {
    await fetcher.close();
  }
}

describe('lookupCachedEntries', () => {
  it('finds cached packages and leaves out the others without fetching them', async () => {
    await fill();
    const found = await lookupCachedEntries(new CacheLayout(join(dir, 'cache')), lockArch());
    expect([...found.keys()]).toEqual([sectionKey('x86_64', 'one')]);
    const names = await readdir(join(dir, 'cache'), { recursive: true });
    expect(names.filter((n) => n.includes('two-2.0-r0'))).toEqual([]);
  });

  it('skips a damaged entry and leaves it in place', async () => {
    await fill();
    const layout = new CacheLayout(join(dir, 'cache'));
    const r = records[0]!;
    const ref = { repository: repo, arch: 'x86_64', name: r.name, version: r.version };
    const control = layout.entryPaths({ ...ref, checksum: r.checksum! }).controlPath!;
    await writeFile(control, 'not a control stream');
    expect((await lookupCachedEntries(layout, lockArch())).size).toBe(0);
    expect(await readFile(control, 'utf8')).toBe('not a control stream');
  });

  it('inspects each entry once per memo', async () => {
    await fill();
    const layout = new CacheLayout(join(dir, 'cache'));
    const memo = newSectionsMemo();
    expect((await lookupCachedEntries(layout, lockArch(), { memo })).size).toBe(1);
    const r = records[0]!;
    const ref = { repository: repo, arch: 'x86_64', name: r.name, version: r.version };
    await rm(layout.entryPaths({ ...ref, checksum: r.checksum! }).controlPath!);
    expect((await lookupCachedEntries(layout, lockArch(), { memo })).size).toBe(1);
    expect((await lookupCachedEntries(layout, lockArch())).size).toBe(0);
  });
});

describe('sectionsOfEntry', () => {
  it('gives an unsigned package control and data ranges whose digests match the .apk', async () => {
    await fill();
    const layout = new CacheLayout(join(dir, 'cache'));
    const entry = (await lookupCachedEntries(layout, lockArch())).get(sectionKey('x86_64', 'one'))!;
    const s = await sectionsOfEntry(entry);
    expect(s.signature).toBeUndefined();
    const apk = await readFile(join(repo, 'x86_64', 'one-1.0-r0.apk'));
    const control = apk.subarray(0, s.control.length);
    const data = apk.subarray(s.control.length);
    expect(data.length).toBe(s.data.length);
    const b64 = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest('base64');
    expect(s.control.checksum).toBe(`sha1-${b64('sha1', control)}`);
    expect(s.data.checksum).toBe(`sha256-${b64('sha256', data)}`);
    expect(records[0]!.checksum).toBe(`Q1${b64('sha1', control)}`);
  });
});

describeRealdata('lock sections of a real APK', () => {
  it('match the ranges and checksums apko wrote for the same package', async () => {
    const lockFile = realdata('images', 'apko-testdata-locks', 'apko-discover.lock.json');
    const apkoLock = readApkoLock(await readFile(lockFile, 'utf8'), lockFile);
    const want = apkoLock.contents.packages.find(
      (p) => p.name === 'pretend-baselayout' && p.architecture === 'x86_64',
    )!;
    const real = join(dir, 'real');
    await mkdir(join(real, 'x86_64'), { recursive: true });
    await copyFile(
      realdata('apk', 'test-signed', 'pretend-baselayout-1.0.0-r0.x86_64.apk'),
      join(real, 'x86_64', 'pretend-baselayout-1.0.0-r0.apk'),
    );
    const fetcher = new FetchPool({ inProcess: true });
    const cache = new PackageCache({ root: join(dir, 'cache'), fetcher });
    const ref = {
      repository: real,
      arch: 'x86_64',
      name: want.name,
      version: want.version,
      checksum: want.checksum!,
    };
    try {
      await cache.ensure(ref);
    } finally {
      await fetcher.close();
    }
    const size = (await readFile(join(real, 'x86_64', 'pretend-baselayout-1.0.0-r0.apk'))).length;
    const record = { ...records[0]!, name: want.name, version: want.version, size };
    record.checksum = want.checksum!;
    const archs = [{ arch: 'x86_64', packages: [{ record, repository: real }] }];
    const entry = (await lookupCachedEntries(cache.layout, archs)).get(
      sectionKey('x86_64', want.name),
    )!;
    const sections = await sectionsOfEntry(entry);
    const [got] = toApkoLockJson({
      archs,
      configName: 'apko.yaml',
      configInput: {},
      repositories: [real],
      keyring: [],
      sectionsFor: () => sections,
    }).contents.packages;
    expect({ ...got, url: want.url }).toEqual(want);
  });
});
