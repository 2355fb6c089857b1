/**
 * Real Alpine and Wolfi packages through the cache: each is served from a temporary repository
 * on loopback, split into sections, and the sections put back together are the original file
 * byte for byte (what lock byte ranges and the builders rely on). The tampered Wolfi packages,
 * whose data no longer matches their `datahash`, are refused and leave nothing in the cache.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FetchPool } from '../src/cache/fetch-pool.js';
import { PackageCache } from '../src/cache/package-cache.js';
import { startRepoServer, type RepoServer } from '../src/serve/repo-server.js';
import { describeRealdata, realdata } from './realdata.js';

interface RealApk {
  file: string;
  arch: string;
  name: string;
  version: string;
}

/** `name-version.arch[.UNSIGNED].apk` → its parts (the version is the last two dash fields). */
function parse(dir: string, file: string): RealApk {
  const m = /^(.+)-([^-]+-r\d+)\.([a-z0-9_]+)(?:\.UNSIGNED)?\.apk$/.exec(file);
  if (!m) throw new Error(`unexpected real data file name ${file}`);
  return { file: join(dir, file), name: m[1]!, version: m[2]!, arch: m[3]! };
}

describeRealdata('PackageCache with real packages', () => {
  let tmp: string;
  let server: RepoServer;
  let pool: FetchPool;
  let cache: PackageCache;
  const good: RealApk[] = [];
  const tampered: RealApk[] = [];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-real-'));
    for (const [sub, list] of [
      ['wolfi', good],
      ['wolfi-unsigned', good],
      ['alpine', good],
      ['test-signed', good],
      ['wolfi-tampered', tampered],
    ] as const) {
      const dir = realdata('apk', sub);
      for (const f of (await readdir(dir)).filter((n) => n.endsWith('.apk'))) {
        const apk = parse(dir, f);
        await mkdir(join(tmp, 'repo', apk.arch), { recursive: true });
        await copyFile(apk.file, join(tmp, 'repo', apk.arch, `${apk.name}-${apk.version}.apk`));
        list.push(apk);
      }
    }
    server = await startRepoServer({ root: join(tmp, 'repo') });
    pool = new FetchPool({ inProcess: true });
    cache = new PackageCache({ root: join(tmp, 'cache'), fetcher: pool });
  });
  afterAll(async () => {
    await pool?.close();
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('splits every real package into sections that concatenate to the original', async () => {
    expect(good.length).toBeGreaterThanOrEqual(10);
    for (const apk of good) {
      const ref = { repository: server.url, arch: apk.arch, name: apk.name, version: apk.version };
      const got = await cache.ensure(ref);
      const parts = [
        got.signaturePath ? await readFile(got.signaturePath) : Buffer.alloc(0),
        await readFile(got.controlPath),
        await readFile(got.dataPath),
      ];
      expect(Buffer.concat(parts).equals(await readFile(apk.file)), apk.file).toBe(true);
      expect((await cache.ensure(ref)).status).toBe('hit');
    }
  });

  it('refuses tampered packages and caches nothing for them', async () => {
    expect(tampered.length).toBe(2);
    for (const apk of tampered) {
      const ref = { repository: server.url, arch: apk.arch, name: apk.name, version: apk.version };
      await expect(cache.ensure(ref)).rejects.toMatchObject({ code: 'ERR_APK_CHECKSUM' });
      const left = await readdir(cache.entryPaths(ref).dir).catch(() => []);
      expect(left.filter((n) => !n.startsWith('.lock'))).toEqual([]);
    }
  });
});
