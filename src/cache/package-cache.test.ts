import { readdir, readFile, rm, mkdtemp, truncate, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PackageRecord } from '../apk/types.js';
import { startRepoServer, type RepoServer } from '../serve/repo-server.js';
import { FetchPool } from './fetch-pool.js';
import type { PackageRef } from './layout.js';
import { PackageCache, type Coordination } from './package-cache.js';
import { fixturePackages, writeFixtureRepo } from './test-fixtures.js';

const ARCH = 'x86_64';

describe('PackageCache', () => {
  let tmp: string;
  let repoDir: string;
  let records: PackageRecord[];
  let server: RepoServer;
  let pools: FetchPool[] = [];

  const ref = (r: PackageRecord, repository = server.url): PackageRef => ({
    repository,
    arch: ARCH,
    name: r.name,
    version: r.version,
    ...(r.checksum ? { checksum: r.checksum } : {}),
    ...(r.size === undefined ? {} : { size: r.size }),
  });
  const makeCache = (
    extra: Partial<ConstructorParameters<typeof PackageCache>[0]> & {
      coordination?: Coordination;
    } = {},
  ): PackageCache => {
    const pool = new FetchPool({ inProcess: true, http: { backoffBaseMs: 1, backoffMaxMs: 5 } });
    pools.push(pool);
    return new PackageCache({ root: join(tmp, 'cache'), fetcher: pool, ...extra });
  };
  const gets = (r: PackageRecord): number =>
    server.counts().get(`/${ARCH}/${r.name}-${r.version}.apk`)?.get ?? 0;

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-cache-'));
    repoDir = join(tmp, 'repo');
    records = await writeFixtureRepo(repoDir, ARCH, fixturePackages(3, 64 * 1024));
    // A little latency keeps 64 concurrent requests truly overlapping.
    server = await startRepoServer({ root: repoDir, latencyMs: 20 });
  });
  afterEach(async () => {
    await Promise.all(pools.map((p) => p.close()));
    pools = [];
    await server.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('downloads a package once for 64 concurrent requests', async () => {
    const cache = makeCache();
    const pkg = ref(records[0]!);
    const results = await Promise.all(Array.from({ length: 64 }, () => cache.ensure(pkg)));
    expect(gets(records[0]!)).toBe(1);
    expect(results.filter((r) => r.status === 'miss')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'coalesced')).toHaveLength(63);
    const stats = cache.stats();
    expect(stats).toMatchObject({ requests: 64, miss: 1, coalesced: 63, hit: 0, failed: 0 });
    expect(stats.bytesDownloaded).toBe(records[0]!.size);

    const again = await cache.ensure(pkg);
    expect(again.status).toBe('hit');
    expect(gets(records[0]!)).toBe(1);
    const r = results[0]!;
    expect(r.sizes.signature + r.sizes.control + r.sizes.data).toBe(records[0]!.size);
    expect(r.controlPath).toBe(cache.entryPaths(pkg).controlPath);
    expect((await readdir(r.dir)).sort()).toEqual(
      [`${r.controlSha1}.ctl.tar.gz`, `${r.dataSha256}.dat.tar.gz`].sort(),
    );
  });

  it('downloads a hot package more than once without coordination', async () => {
    const cache = makeCache({ coordination: 'none' });
    const results = await Promise.all(
      Array.from({ length: 16 }, () => cache.ensure(ref(records[0]!))),
    );
    expect(gets(records[0]!)).toBeGreaterThan(1);
    expect(results.every((r) => r.status === 'miss')).toBe(true);
    // Still one complete entry: concurrent publishers rename over each other with equal bytes.
    expect((await readdir(results[0]!.dir)).filter((n) => !n.startsWith('.'))).toHaveLength(2);
  });

  it('detects a tampered control file and fetches the package again', async () => {
    const cache = makeCache();
    const first = await cache.ensure(ref(records[1]!));
    const bytes = await readFile(first.controlPath);
    bytes[bytes.length - 9] = bytes[bytes.length - 9]! ^ 0xff;
    await writeFile(first.controlPath, bytes);
    const second = await cache.ensure(ref(records[1]!));
    expect(second.status).toBe('miss');
    expect(gets(records[1]!)).toBe(2);
    expect(cache.stats().repaired).toBe(1);
  });

  it('detects a truncated data file through the index size', async () => {
    const cache = makeCache();
    const first = await cache.ensure(ref(records[1]!));
    await truncate(first.dataPath, 100);
    const second = await cache.ensure(ref(records[1]!));
    expect(second.status).toBe('miss');
    expect((await readFile(second.dataPath)).length).toBe(first.sizes.data);
  });

  it('rejects a package that does not match the index checksum and publishes nothing', async () => {
    const cache = makeCache();
    const wrong = { ...ref(records[0]!), checksum: records[1]!.checksum! };
    await expect(cache.ensure(wrong)).rejects.toMatchObject({ code: 'ERR_APK_CHECKSUM' });
    const dir = cache.entryPaths(wrong).dir;
    expect((await readdir(dir)).filter((n) => !n.startsWith('.lock'))).toEqual([]);
    expect(cache.stats().failed).toBe(1);
  });

  it('lists every missing package offline', async () => {
    const online = makeCache();
    await online.ensure(ref(records[0]!));
    const offline = makeCache({ offline: true });
    const err: unknown = await offline
      .ensureAll(records.map((r) => ref(r)))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_OFFLINE_MISSING' });
    const message = (err as Error).message;
    expect(message).toContain('pkg-1-1.0.0-r0');
    expect(message).toContain('pkg-2-1.0.0-r0');
    expect(message).not.toContain('pkg-0-');
  });

  it('reads a file:// repository and names the cache after it', async () => {
    const cache = makeCache();
    const repo = pathToFileURL(repoDir).href;
    const got = await cache.ensure(ref(records[2]!, repo));
    expect(got.status).toBe('miss');
    expect(got.dir.startsWith(cache.layout.repositoryDir(repo))).toBe(true);
    expect(cache.layout.repositoryDir(repo)).toContain('file%3A%2F%2F%2F');
    expect(gets(records[2]!)).toBe(0);
  });

  it('fetches through a mirror but keeps the original URL in cache paths', async () => {
    const original = 'https://packages.example.invalid/os';
    const cache = makeCache({ mirrors: { [original]: server.url } });
    const got = await cache.ensure(ref(records[0]!, original));
    expect(got.dir).toContain('https%3A%2F%2Fpackages.example.invalid%2Fos');
    expect(gets(records[0]!)).toBe(1);
  });

  it('removes temporary files of a killed process when it fetches the package', async () => {
    const cache = makeCache();
    const pkg = ref(records[2]!);
    const { dir } = cache.entryPaths(pkg);
    await mkdir(dir, { recursive: true });
    // pid 2^22+1 is above Linux's pid_max default, so no such process is alive.
    const dead = '.tmp-data.dat.tar.gz.4194305-0badf00d';
    const live = `.tmp-data.dat.tar.gz.${process.pid}-0badf00d`;
    await writeFile(join(dir, dead), 'partial');
    await writeFile(join(dir, live), 'someone else in this process');
    await cache.ensure(pkg);
    const names = await readdir(dir);
    expect(names).not.toContain(dead);
    expect(names).toContain(live);
  });

  it('counts a request given up on cancellation as cancelled, not failed', async () => {
    const cache = makeCache();
    const controller = new AbortController();
    controller.abort();
    await expect(cache.ensure(ref(records[0]!), { signal: controller.signal })).rejects.toThrow();
    expect(cache.stats()).toMatchObject({ requests: 1, failed: 0, cancelled: 1 });
  });

  it('explains a cache directory that is a file', async () => {
    await writeFile(join(tmp, 'not-a-dir'), 'x');
    const pool = new FetchPool({ inProcess: true });
    pools.push(pool);
    const cache = new PackageCache({ root: join(tmp, 'not-a-dir'), fetcher: pool });
    const err: unknown = await cache.ensure(ref(records[0]!)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_CACHE' });
    expect((err as { hint?: string }).hint).toContain('--cache-dir');
  });

  it('breaks a lock left by a dead process', async () => {
    const cache = makeCache();
    const pkg = ref(records[0]!);
    const { lockPath, dir } = cache.entryPaths(pkg);
    await mkdir(dir, { recursive: true });
    // pid 2^22+1 is above Linux's pid_max default, so no such process is alive.
    const dead = { pid: 4194305, host: (await import('node:os')).hostname(), time: 0, token: 'x' };
    await writeFile(lockPath, JSON.stringify(dead));
    const got = await cache.ensure(pkg);
    expect(got.status).toBe('miss');
    expect(gets(records[0]!)).toBe(1);
  });
});
