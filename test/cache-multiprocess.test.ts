/**
 * Two processes prefetch the same 200 packages into one cache directory at the same time, each
 * fetching in its main thread (worker pools are covered by cache-fetch-pool.test.ts). The
 * per-entry locks must make every package download exactly once in total (the server counts
 * GETs), and the resulting cache must verify clean. The children run the compiled code in
 * dist/ (`npm run build` first; `npm test` does).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackageRecord } from '../src/apk/types.js';
import type { CacheCounters } from '../src/cache/counters.js';
import { verifyCache } from '../src/cache/maintenance.js';
import { fixturePackages, writeFixtureRepo } from '../src/cache/test-fixtures.js';
import { startRepoServer, type RepoServer } from '../src/serve/repo-server.js';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const ARCH = 'x86_64';

// Reads the package list as JSON on stdin, prefetches, prints the counters as JSON.
const CHILD = `
import { FetchPool } from ${JSON.stringify(pathToFileURL(join(dist, 'cache/fetch-pool.js')).href)};
import { PackageCache } from ${JSON.stringify(pathToFileURL(join(dist, 'cache/package-cache.js')).href)};
let input = '';
for await (const c of process.stdin) input += c;
const { root, pkgs } = JSON.parse(input);
const fetcher = new FetchPool({ inProcess: true });
const cache = new PackageCache({ root, fetcher });
try {
  await cache.ensureAll(pkgs, { concurrency: 8 });
  process.stdout.write(JSON.stringify(cache.stats()));
} finally {
  await fetcher.close();
}
`;

function runChild(payload: unknown): Promise<CacheCounters> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code === 0) ok(JSON.parse(out) as CacheCounters);
      else fail(new Error(`child exited ${code}: ${err}`));
    });
    child.stdin.end(JSON.stringify(payload));
  });
}

describe('PackageCache across processes', () => {
  let tmp: string;
  let server: RepoServer;
  let records: PackageRecord[];

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-mp-'));
    records = await writeFixtureRepo(join(tmp, 'repo'), ARCH, fixturePackages(200, 4096));
    server = await startRepoServer({ root: join(tmp, 'repo'), latencyMs: 5 });
  });
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('downloads each package once in total when two processes share a cache', async () => {
    expect(existsSync(join(dist, 'workers', 'fetch.worker.js')), 'run npm run build').toBe(true);
    const root = join(tmp, 'cache');
    const pkgs = records.map((r) => ({
      repository: server.url,
      arch: ARCH,
      name: r.name,
      version: r.version,
      checksum: r.checksum,
      size: r.size,
    }));
    const [a, b] = await Promise.all([runChild({ root, pkgs }), runChild({ root, pkgs })]);

    const counts = server.counts();
    const gets = records.map((r) => counts.get(`/${ARCH}/${r.name}-${r.version}.apk`)?.get ?? 0);
    expect(gets.filter((g) => g !== 1)).toEqual([]);
    expect(a.miss + b.miss).toBe(200);
    expect(a.requests + b.requests).toBe(400);
    expect(a.failed + b.failed).toBe(0);

    const report = await verifyCache(root);
    expect(report.checked).toBe(200);
    expect(report.bad).toEqual([]);
  });
});
