/**
 * `apkgraph cache …` end to end through the command line: a damaged entry makes `verify` exit
 * 1 with ERR_CACHE_CORRUPT, `verify --fix` repairs, and `clean --dry-run` removes nothing.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FetchPool } from '../src/cache/fetch-pool.js';
import { PackageCache, type CachedPackage } from '../src/cache/package-cache.js';
import { fixturePackages, writeFixtureRepo } from '../src/cache/test-fixtures.js';
import { runCli as run } from './cli-run.js';

describe('apkgraph cache', () => {
  let tmp: string;
  let root: string;
  let entries: CachedPackage[];

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-cachecli-'));
    root = join(tmp, 'cache');
    const records = await writeFixtureRepo(join(tmp, 'repo'), 'x86_64', fixturePackages(2));
    const fetcher = new FetchPool({ inProcess: true });
    const repository = pathToFileURL(join(tmp, 'repo')).href;
    entries = await new PackageCache({ root, fetcher }).ensureAll(
      records.map((r) => ({ repository, arch: 'x86_64', name: r.name, version: r.version })),
    );
    await fetcher.close();
  });
  afterEach(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('reports a damaged entry, exits 1, and repairs it with --fix', async () => {
    expect((await run(['cache', 'verify', '--cache-dir', root])).code).toBe(0);
    await writeFile(entries[0]!.dataPath, 'not the data');
    const bad = await run(['cache', 'verify', '--cache-dir', root]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('error[ERR_CACHE_CORRUPT]');
    expect(bad.out).toContain(`damaged: ${entries[0]!.dir}`);
    const fixed = await run(['cache', 'verify', '--fix', '--cache-dir', root]);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toContain('1 removed');
  });

  it('lists but keeps everything on clean --dry-run, then removes it', async () => {
    const stats = await run(['cache', 'stats', '--json', '--cache-dir', root]);
    expect(JSON.parse(stats.out)).toMatchObject({ entries: 2 });
    const dry = await run(['cache', 'clean', '--dry-run', '--cache-dir', root]);
    expect(dry.out).toContain('would remove');
    expect((await readdir(root)).length).toBe(1);
    await run(['cache', 'clean', '--cache-dir', root]);
    expect(await readdir(root)).toEqual([]);
  });
});
