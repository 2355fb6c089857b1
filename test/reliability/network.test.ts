/**
 * Network faults against the local repository server (127.0.0.1 only) with its fault
 * injection: every fault is decided per request by path and attempt number, so each test is
 * deterministic and its retry loop bounded. After each case the cache holds only verified
 * entries, no `.tmp-` file, and the server's counts show how many requests it took.
 */
import { writeFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeApkIndex } from '../../src/apk/apkindex-file.js';
import { loadKeyring, type Keyring } from '../../src/apk/keys.js';
import type { PackageRecord } from '../../src/apk/types.js';
import { FetchPool } from '../../src/cache/fetch-pool.js';
import { PackageCache } from '../../src/cache/package-cache.js';
import { createMemoryLogger } from '../../src/log/logger.js';
import { writeModuleSet } from '../../src/moduleset/write.js';
import { HttpClient, type HttpClientOptions } from '../../src/repo/http-client.js';
import { RepositoryClient } from '../../src/repo/repository-client.js';
import type { FaultKind } from '../../src/serve/faults.js';
import { startRepoServer, type RepoServer } from '../../src/serve/repo-server.js';
import {
  caught,
  expectCacheClean,
  hasDist,
  listFiles,
  makeTemp,
  removeTemp,
  runCli,
  tempLeftovers,
  testKey,
  writeRepo,
  type TestRepo,
} from './fixtures.js';

const ARCH = 'x86_64';
/** Fast retries: the loops are bounded by `retries`, the pauses kept short. */
const HTTP: HttpClientOptions = { retries: 3, backoffBaseMs: 10, backoffMaxMs: 2_000 };

let tmp: string;
let repo: TestRepo;
let keyring: Keyring;
let cacheRoot: string;
let server: RepoServer | undefined;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  tmp = await makeTemp('net');
  repo = await writeRepo(
    join(tmp, 'repo'),
    [ARCH],
    Array.from({ length: 6 }, (_, i) => ({ name: `n${i}`, payloadBytes: 64 * 1024 })),
  );
  keyring = await loadKeyring([repo.keyPath]);
  return () => removeTemp(tmp);
});
beforeEach(async () => {
  cacheRoot = await makeTemp('net-cache');
});
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await server?.close();
  server = undefined;
  await removeTemp(cacheRoot);
});

type Decide = (r: { method: string; path: string; seen: number }) => FaultKind | undefined;

async function serve(decide?: Decide, extra: { bandwidthBytesPerSec?: number } = {}) {
  server = await startRepoServer({
    root: repo.dir,
    ...extra,
    ...(decide ? { faults: { decide } } : {}),
  });
  return server;
}

function records(): PackageRecord[] {
  return repo.records.get(ARCH) ?? [];
}

function refOf(r: PackageRecord, url: string) {
  return {
    repository: url,
    arch: ARCH,
    name: r.name,
    version: r.version,
    ...(r.checksum ? { checksum: r.checksum } : {}),
  };
}

function cacheWith(http: HttpClientOptions, logger = createMemoryLogger()) {
  const client = new HttpClient({ ...http, logger });
  const pool = new FetchPool({ inProcess: true, client });
  closers.push(
    () => client.close(),
    () => pool.close(),
  );
  return { cache: new PackageCache({ root: cacheRoot, fetcher: pool }), logger };
}

function gets(path: string): number {
  return server?.counts().get(path)?.get ?? 0;
}

const n0 = `/${ARCH}/n0-1.0-r0.apk`;

describe('package downloads under network faults', () => {
  it('retries 500s and caches the package once they stop', async () => {
    const s = await serve((r) => (r.path === n0 && r.seen < 2 ? 'fail' : undefined));
    const { cache } = cacheWith(HTTP);
    const got = await cache.ensure(refOf(records()[0]!, s.url));
    expect(got.status).toBe('miss');
    expect(gets(n0)).toBe(3);
    expect(await expectCacheClean(cacheRoot)).toBe(1);
    expect(await tempLeftovers(cacheRoot)).toEqual([]);
  });

  it('gives up on endless 500s with ERR_HTTP naming the URL, and caches nothing', async () => {
    const s = await serve((r) => (r.path === n0 ? 'fail' : undefined));
    const { cache } = cacheWith(HTTP);
    const err = await caught(() => cache.ensure(refOf(records()[0]!, s.url)));
    expect(err.code).toBe('ERR_HTTP');
    expect(err.message).toContain(`GET ${s.url}${n0}: HTTP 500 after 3 retries`);
    expect(err.subject.package).toBe('n0-1.0-r0');
    expect(gets(n0)).toBe(4);
    expect(await expectCacheClean(cacheRoot)).toBe(0);
    expect(await tempLeftovers(cacheRoot)).toEqual([]);
  });

  it('waits as long as a 429 Retry-After says, then succeeds', async () => {
    const s = await serve((r) => (r.path === n0 && r.seen === 0 ? 'status429' : undefined));
    const { cache, logger } = cacheWith(HTTP);
    await cache.ensure(refOf(records()[0]!, s.url));
    expect(gets(n0)).toBe(2);
    const retry = logger.entries.find((e) => e.message === 'retrying request');
    // Retry-After: 1 overrides the 10 ms backoff base.
    expect(retry?.fields?.delayMs).toBeGreaterThanOrEqual(1000);
    expect(retry?.fields?.reason).toBe(429);
    expect(await expectCacheClean(cacheRoot)).toBe(1);
  });

  it('resumes a body after a reset mid-body and verifies the result', async () => {
    const s = await serve((r) => (r.path === n0 && r.seen === 0 ? 'reset' : undefined));
    const { cache } = cacheWith(HTTP);
    const size = (await readFile(join(repo.dir, ARCH, 'n0-1.0-r0.apk'))).length;
    await cache.ensure(refOf(records()[0]!, s.url));
    expect(gets(n0)).toBe(2);
    // Half the body, then the rest through a Range request. A restart from zero would send
    // 1.5 times the size; a resume sends the size plus what was in flight when the socket died.
    const sent = s.counts().get(n0)?.bytes ?? 0;
    expect(sent).toBeGreaterThanOrEqual(size);
    expect(sent).toBeLessThan(size * 1.25);
    expect(await expectCacheClean(cacheRoot)).toBe(1);
    expect(await tempLeftovers(cacheRoot)).toEqual([]);
  });

  it('times out a stalled body with ERR_TIMEOUT and leaves no temporary file', async () => {
    const s = await serve((r) => (r.path === n0 ? 'stall' : undefined));
    const { cache } = cacheWith({ ...HTTP, retries: 1, requestTimeoutMs: 300 });
    const err = await caught(() => cache.ensure(refOf(records()[0]!, s.url)));
    expect(err.code).toBe('ERR_TIMEOUT');
    expect(err.message).toContain(`${s.url}${n0}`);
    expect(err.message).toContain('timed out');
    expect(err.hint).toMatch(/timeout/i);
    expect(gets(n0)).toBe(2);
    expect(await expectCacheClean(cacheRoot)).toBe(0);
    expect(await tempLeftovers(cacheRoot)).toEqual([]);
  });

  it('reports a package the index lists but the server lacks as ERR_NOT_FOUND, once', async () => {
    const s = await serve();
    const { cache } = cacheWith(HTTP);
    const gone = { ...refOf(records()[0]!, s.url), name: 'vanished' };
    const err = await caught(() => cache.ensure(gone));
    expect(err.code).toBe('ERR_NOT_FOUND');
    expect(err.message).toContain(`${s.url}/${ARCH}/vanished-1.0-r0.apk`);
    expect(err.subject.package).toBe('vanished-1.0-r0');
    // A 404 is an answer, not a fault: no retries.
    expect(gets(`/${ARCH}/vanished-1.0-r0.apk`)).toBe(1);
    expect(await expectCacheClean(cacheRoot)).toBe(0);
    expect(await tempLeftovers(cacheRoot)).toEqual([]);
  });

  it('refuses wrong bytes served under a package name with ERR_APK_CHECKSUM', async () => {
    const s = await serve();
    const { cache } = cacheWith(HTTP);
    // Ask for n0 but give n1's index record: the bytes served are not what the index says.
    const wrong = { ...refOf(records()[0]!, s.url), checksum: records()[1]!.checksum };
    const err = await caught(() => cache.ensure(wrong));
    expect(err.code).toBe('ERR_APK_CHECKSUM');
    expect(err.message).toContain('control checksum mismatch for n0-1.0-r0');
    expect(await expectCacheClean(cacheRoot)).toBe(0);
    expect(await tempLeftovers(cacheRoot)).toEqual([]);
  });

  it('refuses a package whose control does not match before downloading its data', async () => {
    // 32 KiB/s: the ~64 KiB package would take two seconds to send in full.
    const s = await serve(undefined, { bandwidthBytesPerSec: 32 * 1024 });
    const { cache } = cacheWith(HTTP);
    const wrong = { ...refOf(records()[0]!, s.url), checksum: records()[1]!.checksum };
    const err = await caught(() => cache.ensure(wrong));
    expect(err.code).toBe('ERR_APK_CHECKSUM');
    // The server stopped sending soon after the control member, far short of the data.
    const sent = server?.counts().get(n0)?.bytes ?? 0;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(records()[0]!.size! / 2);
    expect(await tempLeftovers(cacheRoot)).toEqual([]);
  });

  it('keeps finished entries and leaves no temp files when the server disappears mid-run', async () => {
    // ~64 KiB per package at 256 KiB/s: the run is still going when the server goes away.
    const s = await serve(undefined, { bandwidthBytesPerSec: 256 * 1024 });
    const port = Number(new URL(s.url).port);
    const { cache } = cacheWith({ ...HTTP, retries: 1, backoffBaseMs: 10 });
    const refs = records().map((r) => refOf(r, s.url));
    const run = cache.ensureAll(refs, { concurrency: 2 });
    // Close as soon as the first package is complete.
    for (let i = 0; i < 400 && cache.stats().miss === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    await s.close();
    server = undefined;
    const err = await caught(() => run);
    expect(['ERR_NETWORK', 'ERR_HTTP']).toContain(err.code);
    expect(err.message).toMatch(/n\d-1\.0-r0/);
    const kept = await expectCacheClean(cacheRoot);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(refs.length);
    expect(await tempLeftovers(cacheRoot)).toEqual([]);

    // The server comes back on the same address: the next run fetches only what is missing.
    const back = await startRepoServer({ root: repo.dir, port });
    server = back;
    const again = cacheWith(HTTP).cache;
    const results = await again.ensureAll(refs, { concurrency: 2 });
    expect(results.filter((r) => r.status === 'hit').length).toBe(kept);
    expect(await expectCacheClean(cacheRoot)).toBe(refs.length);
  });
});

describe('index that changes between HEAD and GET', () => {
  it('caches the index under the ETag of the bytes it got, not the HEAD one', async () => {
    const indexPath = join(repo.dir, ARCH, 'APKINDEX.tar.gz');
    const original = await readFile(indexPath);
    const updated = Buffer.from(writeApkIndex({ packages: records().slice(0, 2), key: testKey() }));
    const s = await serve((r) => {
      // The repository is republished right after the client's HEAD.
      if (r.path === `/${ARCH}/APKINDEX.tar.gz` && r.method === 'GET' && r.seen === 1) {
        // The fault hook is synchronous, so the republish is too.
        writeFileSync(indexPath, updated);
      }
      return undefined;
    });
    try {
      const client = new RepositoryClient({ cacheRoot, http: HTTP });
      closers.push(() => client.close());
      const first = await client.loadIndex(s.url, ARCH, { keyring });
      expect(first.from).toBe('network');
      expect(first.index.packages.map((p) => p.name)).toEqual(['n0', 'n1']);

      // A new run HEADs the new ETag and finds exactly those bytes in the cache.
      const second = new RepositoryClient({ cacheRoot, http: HTTP });
      closers.push(() => second.close());
      const again = await second.loadIndex(s.url, ARCH, { keyring });
      expect(again.from).toBe('cache');
      expect(again.etag).toBe(first.etag);
      expect(again.index.packages.map((p) => p.name)).toEqual(['n0', 'n1']);
      const cached = (await listFiles(cacheRoot)).filter((f) => f.includes('/APKINDEX/'));
      expect(cached).toHaveLength(1);
      expect(await tempLeftovers(cacheRoot)).toEqual([]);
    } finally {
      await writeFile(indexPath, original);
    }
  });
});

describe.skipIf(!hasDist)('apkgraph run under network faults', () => {
  it('takes --timeout and --retries from the command line', async () => {
    const s = await serve((r) => (r.path === n0 ? 'stall' : undefined));
    const set = join(cacheRoot, 'set');
    await writeModuleSet(set, {
      settings: { archs: [ARCH], repositories: [s.url], keyring: [repo.keyPath], prefetch: true },
      modules: { m: { apko: { contents: { packages: ['n0'] } }, module: { dev: false } } },
    });
    const res = await runCli([
      'run',
      set,
      '--cache-dir',
      join(cacheRoot, 'cache'),
      '--out',
      join(cacheRoot, 'out'),
      '--timeout',
      '0.3',
      '--retries',
      '1',
    ]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('ERR_TIMEOUT');
    expect(res.stderr).toContain('after 1 retries');
    expect(res.stderr).toContain('--timeout');
    // One attempt and one retry, each given up after 0.3 s instead of the default 30 s.
    expect(gets(n0)).toBe(2);
    expect(await tempLeftovers(cacheRoot)).toEqual([]);
  });

  it('refuses a --timeout that is not a positive number of seconds', async () => {
    const res = await runCli(['run', 'modules', '--timeout', '0']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('ERR_USAGE');
    expect(res.stderr).toContain('--timeout');
  });
});
