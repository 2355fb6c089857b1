/**
 * The fetch pool against a faulty loopback server, with real worker threads (compiled code in
 * dist/; `npm test` builds first) and in-process: broken bodies resume, failed requests retry,
 * and a cancelled download leaves no file behind, not even a temporary one.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PackageRecord } from '../src/apk/types.js';
import { FetchPool } from '../src/cache/fetch-pool.js';
import { PackageCache } from '../src/cache/package-cache.js';
import { writeFixtureRepo } from '../src/cache/test-fixtures.js';
import type { FaultKind } from '../src/serve/faults.js';
import { startRepoServer, type RepoServer } from '../src/serve/repo-server.js';

const ARCH = 'x86_64';

describe.each([
  { mode: 'worker threads', inProcess: false },
  { mode: 'in-process', inProcess: true },
])('FetchPool ($mode)', ({ inProcess }) => {
  let tmp: string;
  let record: PackageRecord;
  let server: RepoServer | undefined;
  let pool: FetchPool | undefined;
  const apkPath = (): string => `/${ARCH}/${record.name}-${record.version}.apk`;

  const setup = async (fault: (n: number) => FaultKind | undefined): Promise<PackageCache> => {
    server = await startRepoServer({
      root: join(tmp, 'repo'),
      faults: { decide: ({ path, seen }) => (path === apkPath() ? fault(seen) : undefined) },
    });
    pool = new FetchPool({
      inProcess,
      maxThreads: 1,
      http: { backoffBaseMs: 1, backoffMaxMs: 5, requestTimeoutMs: 5_000 },
    });
    return new PackageCache({ root: join(tmp, 'cache'), fetcher: pool });
  };
  const ref = () => ({
    repository: server!.url,
    arch: ARCH,
    name: record.name,
    version: record.version,
    checksum: record.checksum!,
    size: record.size!,
  });

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-pool-'));
    [record] = (await writeFixtureRepo(join(tmp, 'repo'), ARCH, [
      { name: 'big', version: '2.0-r1', payloadBytes: 600_000 },
    ])) as [PackageRecord];
  });
  afterEach(async () => {
    await pool?.close();
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('resumes a package whose body was cut off', async () => {
    const cache = await setup((n) => (n === 0 ? 'reset' : undefined));
    const got = await cache.ensure(ref());
    expect(got.status).toBe('miss');
    const counts = server!.counts().get(apkPath())!;
    expect(counts.get).toBe(2);
    expect(counts.bytes).toBeLessThan(record.size! * 1.25);
  });

  it('retries a 500 and then caches the package', async () => {
    const cache = await setup((n) => (n === 0 ? 'fail' : undefined));
    const got = await cache.ensure(ref());
    expect(got.sizes.signature + got.sizes.control + got.sizes.data).toBe(record.size);
    expect(server!.counts().get(apkPath())!.get).toBe(2);
  });

  it('leaves no file behind when a stalled download is cancelled', async () => {
    const cache = await setup(() => 'stall');
    const ac = new AbortController();
    const pending = cache.ensure(ref(), { signal: ac.signal });
    // Wait until the server has sent half the body, so a temporary file exists.
    while ((server!.counts().get(apkPath())?.bytes ?? 0) === 0) {
      await new Promise((r) => setTimeout(r, 10));
    }
    ac.abort(new Error('user cancelled'));
    await expect(pending).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    // The leader's work ends asynchronously after the caller is released; give it a moment.
    let left: string[] = [];
    for (let i = 0; i < 50; i++) {
      left = await readdir(cache.entryPaths(ref()).dir).catch(() => []);
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(left).toEqual([]);
  });
});

describe('FetchPool on one worker thread', () => {
  let tmp: string;
  let server: RepoServer | undefined;
  let pool: FetchPool | undefined;
  afterEach(async () => {
    await pool?.close();
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('runs several cancellable downloads at once, and cancelling them leaves nothing', async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-pool-'));
    const records = await writeFixtureRepo(
      join(tmp, 'repo'),
      ARCH,
      Array.from({ length: 6 }, (_, i) => ({
        name: `p${i}`,
        version: '1-r0',
        payloadBytes: 50_000,
      })),
    );
    const asked = new Set<string>();
    server = await startRepoServer({
      root: join(tmp, 'repo'),
      faults: {
        decide: ({ path }) => {
          if (!path.endsWith('.apk')) return undefined;
          asked.add(path);
          return 'stall';
        },
      },
    });
    pool = new FetchPool({ maxThreads: 1, http: { requestTimeoutMs: 60_000, retries: 0 } });
    const cache = new PackageCache({ root: join(tmp, 'cache'), fetcher: pool });
    const ac = new AbortController();
    const refs = records.map((r) => ({
      repository: server!.url,
      arch: ARCH,
      name: r.name,
      version: r.version,
      checksum: r.checksum!,
      size: r.size!,
    }));
    const pending = refs.map((r) => cache.ensure(r, { signal: ac.signal }));
    // Every download is a task with a cancel signal; all six reach the server although they
    // share one thread (one at a time, this would wait forever on the first stalled body).
    for (let i = 0; i < 500 && asked.size < refs.length; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(asked.size).toBe(refs.length);
    ac.abort(new Error('user cancelled'));
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    // As above, the downloads end a moment after their callers are released.
    const leftovers = async (): Promise<string[]> => {
      const names = await Promise.all(
        refs.map((r) => readdir(cache.entryPaths(r).dir).catch(() => [] as string[])),
      );
      return names.flat().filter((n) => n.startsWith('.tmp-'));
    };
    for (let i = 0; i < 100 && (await leftovers()).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await leftovers()).toEqual([]);
  });
});
