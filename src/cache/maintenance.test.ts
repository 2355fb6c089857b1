import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FetchPool } from './fetch-pool.js';
import { cacheInventory, cleanCache, verifyCache } from './maintenance.js';
import { PackageCache, type CachedPackage } from './package-cache.js';
import { fixturePackages, writeFixtureRepo } from './test-fixtures.js';

describe('cache maintenance', () => {
  let tmp: string;
  let root: string;
  let entries: CachedPackage[];

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-maint-'));
    root = join(tmp, 'cache');
    const records = await writeFixtureRepo(join(tmp, 'repo'), 'x86_64', fixturePackages(3));
    const fetcher = new FetchPool({ inProcess: true });
    const cache = new PackageCache({ root, fetcher });
    const repository = pathToFileURL(join(tmp, 'repo')).href;
    entries = await cache.ensureAll(
      records.map((r) => ({
        repository,
        arch: 'x86_64',
        name: r.name,
        version: r.version,
        checksum: r.checksum!,
      })),
    );
    await fetcher.close();
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('counts entries and bytes', async () => {
    const inv = await cacheInventory(root);
    expect(inv.entries).toBe(3);
    expect(inv.repositories).toEqual([pathToFileURL(join(tmp, 'repo')).href]);
    const sizes = entries.reduce((n, e) => n + e.sizes.control + e.sizes.data, 0);
    expect(inv.bytes).toBe(sizes);
  });

  it('finds a data file whose bytes changed, and removes it with fix', async () => {
    const victim = entries[1]!;
    const size = (await stat(victim.dataPath)).size;
    await writeFile(victim.dataPath, Buffer.alloc(size, 7));
    const report = await verifyCache(root);
    expect(report.checked).toBe(3);
    expect(report.bad).toEqual([
      { dir: victim.dir, reason: expect.stringContaining('data file hashes') as string },
    ]);
    const fixed = await verifyCache(root, { fix: true });
    expect(fixed.removed).toBe(1);
    expect(await readdir(victim.dir)).toEqual([]);
    expect((await verifyCache(root)).bad).toEqual([]);
  });

  it('leaves folders that are not escaped repositories alone', async () => {
    for (const dir of [join(root, '.apkgraph', 'demo-repo', 'h'), join(root, 'demo-repo', 'h')]) {
      await mkdir(join(dir, 'x86_64'), { recursive: true });
      await writeFile(join(dir, 'x86_64', 'a-1.apk'), 'not a cache entry');
    }
    const inv = await cacheInventory(root);
    expect(inv.repositories).toEqual([pathToFileURL(join(tmp, 'repo')).href]);
    expect(inv.packageDirs).toBe(3);
    const report = await verifyCache(root, { fix: true });
    expect(report.bad).toEqual([]);
    expect(report.removed).toBe(0);
    expect(await readdir(join(root, 'demo-repo', 'h', 'x86_64'))).toEqual(['a-1.apk']);
  });

  it('counts as removed only entries it deleted something from', async () => {
    const stray = join(entries[0]!.dir, '..', 'stray-1');
    await mkdir(stray);
    await writeFile(join(stray, 'notes.txt'), 'x');
    const report = await verifyCache(root, { fix: true });
    expect(report.bad).toEqual([{ dir: stray, reason: 'sections without a control file' }]);
    expect(report.removed).toBe(0);
  });

  it('removes only old leftovers, and nothing on a dry run', async () => {
    const dir = entries[0]!.dir;
    const oldTemp = join(dir, '.tmp-x.dat.tar.gz.1-aa');
    const newTemp = join(dir, '.tmp-y.dat.tar.gz.1-bb');
    await writeFile(oldTemp, 'x');
    await writeFile(newTemp, 'y');
    const old = new Date(Date.now() - 3_600_000);
    await utimes(oldTemp, old, old);

    const dry = await cleanCache(root, { leftoversOnly: true, dryRun: true });
    expect(dry.paths).toEqual([oldTemp]);
    expect(await readdir(dir)).toContain('.tmp-x.dat.tar.gz.1-aa');
    await cleanCache(root, { leftoversOnly: true });
    const left = await readdir(dir);
    expect(left).not.toContain('.tmp-x.dat.tar.gz.1-aa');
    expect(left).toContain('.tmp-y.dat.tar.gz.1-bb');

    await cleanCache(root);
    expect(await readdir(root)).toEqual([]);
  });
});
