/**
 * Whole processes: `node bin/apkgraph.js run` with prefetch on, against a bandwidth-capped
 * repository server on 127.0.0.1, interrupted by SIGTERM or SIGKILL; two runs sharing one
 * cache; a cache directory that cannot be used. Afterwards the cache must verify clean, no
 * `.tmp-` file may be left, every image under the output directory must be whole, and the next
 * run must succeed (`npm run build` first; `npm test` does).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeModuleSet } from '../../src/moduleset/write.js';
import { startRepoServer, type RepoServer } from '../../src/serve/repo-server.js';
import {
  expectCacheClean,
  hasDist,
  incompleteImages,
  makeTemp,
  removeTemp,
  runCli,
  startCli,
  tempLeftovers,
  writeRepo,
  type CliProcess,
  type TestRepo,
} from './fixtures.js';

const ARCH = 'x86_64';
const PACKAGES = 12;
const PAYLOAD = 96 * 1024;
/** About 1.1 MiB of packages at 512 KiB/s: a run takes ~2 s, long enough to interrupt. */
const BANDWIDTH = 512 * 1024;

let tmp: string;
let repo: TestRepo;
let server: RepoServer;
let set: string;
let n = 0;

beforeAll(async () => {
  tmp = await makeTemp('proc');
  repo = await writeRepo(
    join(tmp, 'repo'),
    [ARCH],
    Array.from({ length: PACKAGES }, (_, i) => ({
      name: `q${i}`,
      payloadBytes: PAYLOAD,
      depends: i % 4 === 0 ? [] : [`q${i - 1}`],
    })),
  );
  server = await startRepoServer({ root: repo.dir, bandwidthBytesPerSec: BANDWIDTH });
  set = join(tmp, 'set');
  await writeModuleSet(set, {
    settings: {
      prefetch: true,
      archs: [ARCH],
      repositories: [server.url],
      keyring: [repo.keyPath],
    },
    modules: {
      m1: { apko: { contents: { packages: ['q3'] } }, module: { dev: false } },
      m2: { apko: { contents: { packages: ['q7', 'q3'] } }, module: { dev: false } },
      m3: { apko: { contents: { packages: ['q11'] } }, module: { dev: false } },
    },
  });
});
afterAll(async () => {
  await server?.close();
  await removeTemp(tmp);
});

function dirs(): { cache: string; out: string } {
  const base = join(tmp, `case-${++n}`);
  return { cache: join(base, 'cache'), out: join(base, 'out') };
}

function runArgs(cache: string, out: string): string[] {
  return ['run', set, '--cache-dir', cache, '--out', out, '--jobs', '2'];
}

function apkGets(): number {
  let total = 0;
  for (const [path, c] of server.counts()) if (path.endsWith('.apk')) total += c.get;
  return total;
}

/** Waits until the server has started sending package bodies (bounded). */
async function waitForDownloads(proc: CliProcess): Promise<void> {
  for (let i = 0; i < 1000 && apkGets() < 2; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  expect(apkGets(), 'the run never started downloading').toBeGreaterThanOrEqual(2);
  expect(proc.pid).toBeGreaterThan(0);
}

/** After any interruption: nothing half-written; then a normal run completes the job. */
async function expectRecoverable(cache: string, out: string): Promise<void> {
  expect(await incompleteImages(out)).toEqual([]);
  expect(await tempLeftovers(out)).toEqual([]);
  await expectCacheClean(cache);

  const again = await runCli(runArgs(cache, out));
  expect(again.stderr).not.toContain('error[');
  expect(again.code).toBe(0);
  expect(await incompleteImages(out)).toEqual([]);
  expect(await tempLeftovers(cache)).toEqual([]);
  expect(await tempLeftovers(out)).toEqual([]);
  expect(await expectCacheClean(cache)).toBe(PACKAGES);
}

describe.skipIf(!hasDist)('apkgraph run interrupted', () => {
  it('exits 130 on SIGTERM mid-prefetch, leaves nothing half-written, and reruns', async () => {
    const { cache, out } = dirs();
    server.resetCounts();
    const proc = startCli(runArgs(cache, out));
    await waitForDownloads(proc);
    proc.kill('SIGTERM');
    const res = await proc.done;
    expect(res.stderr).toContain('SIGTERM: cancelling');
    expect(res.code).toBe(130);
    // A cancelled process cleans up after itself: no temporary file even before the next run.
    expect(await tempLeftovers(cache)).toEqual([]);
    await expectRecoverable(cache, out);
  });

  it('leaves only whole images when SIGTERM lands while images are being built', async () => {
    const { cache, out } = dirs();
    const proc = startCli(runArgs(cache, out));
    await proc.waitForStderr(/done\s+build:/, 40_000);
    proc.kill('SIGTERM');
    const res = await proc.done;
    // The last builds may have finished before the signal arrived; either way nothing is torn.
    expect([0, 130]).toContain(res.code);
    expect(await tempLeftovers(cache)).toEqual([]);
    await expectRecoverable(cache, out);
  });

  it('survives SIGKILL mid-prefetch: the next run succeeds and the cache verifies', async () => {
    const { cache, out } = dirs();
    server.resetCounts();
    const proc = startCli(runArgs(cache, out));
    await waitForDownloads(proc);
    proc.kill('SIGKILL');
    const res = await proc.done;
    expect(res.signal).toBe('SIGKILL');
    // The killed process could not clean up; the next run removes its temporary files.
    await expectRecoverable(cache, out);
  });
});

describe.skipIf(!hasDist)('apkgraph run sharing a cache', () => {
  it('downloads each package once in total when two runs share one cache', async () => {
    const cache = dirs().cache;
    const a = dirs().out;
    const b = dirs().out;
    server.resetCounts();
    const [ra, rb] = await Promise.all([runCli(runArgs(cache, a)), runCli(runArgs(cache, b))]);
    expect(ra.stderr).not.toContain('error[');
    expect(rb.stderr).not.toContain('error[');
    expect([ra.code, rb.code]).toEqual([0, 0]);
    const perPackage = [...server.counts()]
      .filter(([path]) => path.endsWith('.apk'))
      .map(([path, c]) => [path, c.get] as const);
    expect(perPackage).toHaveLength(PACKAGES);
    expect(perPackage.filter(([, gets]) => gets !== 1)).toEqual([]);
    expect(await expectCacheClean(cache)).toBe(PACKAGES);
    expect(await incompleteImages(a)).toEqual([]);
    expect(await incompleteImages(b)).toEqual([]);
    expect(await tempLeftovers(cache)).toEqual([]);
  });

  it('finishes a run whose partner holding the locks was SIGKILLed', async () => {
    const cache = dirs().cache;
    const a = dirs().out;
    const b = dirs().out;
    server.resetCounts();
    const first = startCli(runArgs(cache, a));
    await waitForDownloads(first);
    // The second run starts while the first holds entry locks; then the first one dies.
    const second = startCli(runArgs(cache, b));
    await second.waitForStderr('running');
    first.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    const res = await second.done;
    expect(res.stderr).not.toContain('error[');
    expect(res.code).toBe(0);
    expect(await incompleteImages(b)).toEqual([]);
    expect(await tempLeftovers(cache)).toEqual([]);
    expect(await expectCacheClean(cache)).toBe(PACKAGES);
  });
});

describe.skipIf(!hasDist)('apkgraph run through a flaky server', () => {
  it('succeeds when every file first fails with 500 and then resets mid-body', async () => {
    // Deterministic faults: the first request for each path gets a 500, the second is cut
    // half-way, the third is served. The client's default 4 retries cover it.
    const flaky = await startRepoServer({
      root: repo.dir,
      faults: { decide: (r) => (r.seen === 0 ? 'fail' : r.seen === 1 ? 'reset' : undefined) },
    });
    try {
      const flakySet = join(tmp, 'flaky-set');
      await writeModuleSet(flakySet, {
        settings: {
          prefetch: true,
          archs: [ARCH],
          repositories: [flaky.url],
          keyring: [repo.keyPath],
        },
        modules: { m: { apko: { contents: { packages: ['q3'] } }, module: { dev: false } } },
      });
      const { cache, out } = dirs();
      const res = await runCli(['run', flakySet, '--cache-dir', cache, '--out', out]);
      expect(res.stderr).not.toContain('error[');
      expect(res.code).toBe(0);
      const apks = [...flaky.counts()].filter(([path]) => path.endsWith('.apk'));
      expect(apks).toHaveLength(4);
      for (const [, c] of apks) expect(c.get).toBeGreaterThanOrEqual(3);
      expect(await expectCacheClean(cache)).toBe(4);
      expect(await incompleteImages(out)).toEqual([]);
      expect(await tempLeftovers(cache)).toEqual([]);
    } finally {
      await flaky.close();
    }
  });
});

describe.skipIf(!hasDist)('apkgraph run with an unusable cache directory', () => {
  it('exits 1 with a clear error when the cache directory is a regular file', async () => {
    // Tests run as root, where chmod 0555 does not stop writes; a file in the way does.
    const { cache, out } = dirs();
    await mkdir(join(cache, '..'), { recursive: true });
    await writeFile(cache, 'not a directory\n');
    const res = await runCli(runArgs(cache, out));
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error[ERR_CACHE]');
    expect(res.stderr).toContain(cache);
    expect(res.stderr).toMatch(/hint: .*--cache-dir/);
    expect(await incompleteImages(out)).toEqual([]);
  });

  /** True if this process may mount a tmpfs (root on Linux); probes on a throw-away dir. */
  const canMount = ((): boolean => {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
    const probe = mkdtempSync(join(tmpdir(), 'apkgraph-rel-mount-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', probe], {
        stdio: 'ignore',
      });
      execFileSync('umount', [probe], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
  })();

  it.skipIf(!canMount)('exits 1 on a full disk and leaves a clean cache on it', async () => {
    const { out } = dirs();
    const full = await makeTemp('tmpfs');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', full]);
    try {
      const res = await runCli(runArgs(join(full, 'cache'), out));
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/error\[ERR_CACHE\]: .*q\d+-1\.0-r0/);
      expect(res.stderr).toMatch(/ENOSPC|no space/i);
      expect(await tempLeftovers(full)).toEqual([]);
      await expectCacheClean(join(full, 'cache'));
      expect(await incompleteImages(out)).toEqual([]);
    } finally {
      execFileSync('umount', [full]);
      await removeTemp(full);
    }
  });
});

describe.skipIf(!hasDist)('apkgraph run --offline', () => {
  it('exits 1 with ERR_OFFLINE_MISSING on an empty cache and contacts no server', async () => {
    const { cache, out } = dirs();
    server.resetCounts();
    const res = await runCli([...runArgs(cache, out), '--offline']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('error[ERR_OFFLINE_MISSING]');
    expect(res.stderr).toContain('APKINDEX');
    expect(res.stderr).toMatch(/hint: .*online/);
    expect(server.counts().size).toBe(0);
    expect(await incompleteImages(out)).toEqual([]);
  });
});
