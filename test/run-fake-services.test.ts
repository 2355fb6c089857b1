import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newPackageRecord, type PackageRecord } from '../src/apk/types.js';
import type { ArchImageResult } from '../src/build/types.js';
import type { CacheCounters } from '../src/cache/counters.js';
import type { CachedPackage } from '../src/cache/package-cache.js';
import { AbortError, ApkgraphError } from '../src/errors.js';
import { buildGraph } from '../src/graph/build-graph.js';
import { selectTargets } from '../src/graph/targets.js';
import { loadModuleSet } from '../src/moduleset/load.js';
import { writeModuleSet } from '../src/moduleset/write.js';
import type { ConfigValue } from '../src/scheduler/nodes.js';
import { runModuleSet } from '../src/scheduler/run-set.js';
import type { LockedPackage, RunServices } from '../src/scheduler/services.js';
import { publishDirectory } from '../src/util/atomic.js';

const REPO = 'https://repo.invalid/main';

/** A tiny repository: name → dependencies. */
const PACKAGES: Record<string, string[]> = {
  base: [],
  libc: [],
  zlib: ['libc'],
  curl: ['zlib', 'libc'],
  busybox: ['libc'],
  bash: ['libc'],
  git: ['curl', 'zlib'],
  python: ['zlib', 'libc'],
};

type Universe = Map<string, PackageRecord>;

/** Fake services: a closure resolver, a single-flight cache that counts, builds that write a file. */
function fakeServices(opts: { failBuild?: string; hangBuild?: string } = {}) {
  const downloads = new Map<string, number>();
  const cached = new Set<string>();
  const flights = new Map<string, Promise<void>>();
  const stats = { requests: 0, hit: 0, coalesced: 0, miss: 0 };
  const services: RunServices<Universe> = {
    loadUniverse: ({ arch }) => {
      const u: Universe = new Map();
      for (const [name, deps] of Object.entries(PACKAGES)) {
        const r = newPackageRecord(name, '1.0-r0', arch);
        r.depends = deps;
        u.set(name, r);
      }
      return Promise.resolve(u);
    },
    resolve: (world, u, { locked }) => {
      const out: LockedPackage[] = [];
      const seen = new Set<string>();
      const visit = (name: string): void => {
        if (seen.has(name)) return;
        seen.add(name);
        const r = u.get(name);
        if (!r) throw new ApkgraphError('ERR_RESOLVE', `no package ${name}`);
        if (locked?.has(name) && locked.get(name) !== r.version) throw new Error('lock broken');
        r.depends.forEach(visit);
        out.push({ record: r, repository: REPO });
      };
      world.forEach((w) => visit(w.split('=')[0] ?? w));
      return out;
    },
    ensure: async (ref) => {
      stats.requests++;
      const key = `${ref.arch}/${ref.name}`;
      let status: CachedPackage['status'] = 'hit';
      if (!cached.has(key)) {
        const f = flights.get(key);
        if (f) {
          status = 'coalesced';
          await f;
        } else {
          status = 'miss';
          const p = new Promise<void>((r) => setImmediate(r)).then(() => {
            downloads.set(key, (downloads.get(key) ?? 0) + 1);
            cached.add(key);
          });
          flights.set(key, p);
          await p;
          flights.delete(key);
        }
      }
      stats[status]++;
      return {
        dir: `/cache/${key}`,
        controlPath: `/cache/${key}/c.ctl.tar.gz`,
        dataPath: `/cache/${key}/d.dat.tar.gz`,
        controlSha1: '0',
        dataSha256: '0',
        sizes: { signature: 0, control: 10, data: 90 },
        status,
      };
    },
    readKeys: () => Promise.resolve([]),
    buildArch: async (req, { signal }) => {
      const names = req.packages.map((p) => p.name);
      if (opts.hangBuild && names.includes(opts.hangBuild)) {
        await new Promise((_, reject) => {
          if (signal.aborted) reject(new AbortError(signal.reason));
          signal.addEventListener('abort', () => reject(new AbortError(signal.reason)), {
            once: true,
          });
        });
      }
      if (opts.failBuild && names.includes(opts.failBuild)) {
        throw new ApkgraphError('ERR_FILE_CONFLICT', `conflict in ${opts.failBuild}`);
      }
      return {
        arch: req.arch,
        platform: { os: 'linux', architecture: req.arch },
        manifestDigest: `sha256:${req.arch}-${names.join('+')}`,
      } as unknown as ArchImageResult;
    },
    writeLayout: async (outDir, results) => {
      await publishDirectory(outDir, (tmp) =>
        writeFile(join(tmp, 'index.json'), JSON.stringify(results.map((r) => r.manifestDigest))),
      );
      return { indexDigest: `sha256:index-${results.length}` };
    },
    cacheStats: () =>
      ({ ...stats, hitRate: 1 - stats.miss / stats.requests }) as unknown as CacheCounters,
  };
  return { services, downloads, stats };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apkgraph-run-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fixtureSet() {
  await writeModuleSet(join(dir, 'set'), {
    settings: {
      archs: ['x86_64', 'aarch64'],
      packages: ['base'],
      dev_packages: ['busybox', 'git'],
    },
    modules: {
      curl: { apko: { contents: { packages: ['curl'] } } },
      python: {
        apko: { contents: { packages: ['python'] } },
        module: { extra_dev_packages: ['bash'] },
      },
      zlib: {
        apko: { contents: { packages: ['zlib'] } },
        module: { dev: false, depends_on: ['curl'] },
      },
    },
  });
  const set = await loadModuleSet(join(dir, 'set'));
  return { set, graph: buildGraph(set) };
}

describe('runModuleSet with fake services', () => {
  it('prefetches so that latest-dev only downloads what its latest did not lock', async () => {
    const { set, graph } = await fixtureSet();
    const { services, downloads } = fakeServices();
    const { result, report } = await runModuleSet({
      set,
      graph,
      services,
      prefetch: true,
      jobs: 4,
      configConcurrency: 4,
      outRoot: join(dir, 'out'),
    });
    expect(result.ok).toBe(true);
    for (const m of ['curl', 'python']) {
      const latest = result.outcomes.get(`config:${m}:latest`);
      const dev = result.outcomes.get(`config:${m}:latest-dev`);
      if (!latest?.ok || !dev?.ok) throw new Error('config failed');
      const lv = latest.value as ConfigValue;
      const dv = dev.value as ConfigValue;
      const latestNames = new Set(lv.archs[0]!.packages.map((p) => p.record.name));
      const devNames = dv.archs[0]!.packages.map((p) => p.record.name);
      const extras = devNames.filter((n) => !latestNames.has(n));
      // dev keeps every latest package and adds only its extras
      expect([...latestNames].every((n) => devNames.includes(n))).toBe(true);
      // misses in dev's prefetch are at most its extras × 2 archs: never a latest package
      expect(dv.cache.miss + dv.cache.coalesced).toBeLessThanOrEqual(extras.length * 2);
      expect(dv.cache.hit).toBeGreaterThanOrEqual(latestNames.size * 2);
    }
    // both archs resolve the same versions, so the index lock pins everything
    const pyDev = result.outcomes.get('config:python:latest-dev');
    if (!pyDev?.ok) throw new Error('config failed');
    const pv = pyDev.value as ConfigValue;
    expect(pv.archDifferences).toEqual([]);
    expect(pv.index).toEqual(pv.archs[0]!.packages.map((p) => `${p.record.name}=1.0-r0`));
    // every package downloaded exactly once, whatever the concurrency
    expect([...downloads.values()].every((n) => n === 1)).toBe(true);
    // builds find everything cached after the prefetch
    for (const n of report.nodes.filter((x) => x.kind === 'build')) {
      expect(n.cache).toMatchObject({ miss: 0, coalesced: 0 });
    }
    expect(report.totals.measured.miss).toBe(downloads.size);
    expect(report.totals.predicted.overall.unique).toBe(downloads.size);
    expect(report.totals.nodes).toEqual({
      ok: 10,
      failed: 0,
      'dependency-failed': 0,
      cancelled: 0,
    });
    const idx = await readFile(join(dir, 'out', 'python', 'latest-dev', 'index.json'), 'utf8');
    expect(JSON.parse(idx)).toHaveLength(2);
  });

  it('fetches through the same cache from the build nodes without prefetch', async () => {
    const { set, graph } = await fixtureSet();
    const { services, downloads } = fakeServices();
    const { result, report } = await runModuleSet({
      set,
      graph,
      services,
      prefetch: false,
      jobs: 2,
      configConcurrency: 2,
      outRoot: join(dir, 'out'),
    });
    expect(result.ok).toBe(true);
    expect([...downloads.values()].every((n) => n === 1)).toBe(true);
    const configs = report.nodes.filter((n) => n.kind === 'config');
    expect(configs.every((n) => n.cache?.miss === 0 && n.cache.hit === 0)).toBe(true);
    expect(report.totals.measured.requests).toBe(report.totals.predicted.overall.references);
  });

  it('neither prefetches nor counts a config that runs only for a depends_on', async () => {
    const { set, graph } = await fixtureSet();
    const { services, downloads } = fakeServices();
    const { result, report } = await runModuleSet({
      set,
      graph: selectTargets(graph, ['zlib']),
      services,
      prefetch: true,
      jobs: 2,
      configConcurrency: 2,
      outRoot: join(dir, 'out'),
    });
    expect(result.ok).toBe(true);
    expect(report.nodes.map((n) => n.id)).toEqual([
      'build:zlib:latest',
      'config:curl:latest',
      'config:zlib:latest',
    ]);
    expect(report.nodes.find((n) => n.id === 'config:curl:latest')?.cache).toMatchObject({
      hit: 0,
      miss: 0,
    });
    expect(report.totals.predicted.overall.configs).toBe(2);
    // zlib's image: base, libc, zlib on two archs
    expect(downloads.size).toBe(6);
  });

  it('leaves no output or temporary file behind when cancelled mid-build', async () => {
    const { set, graph } = await fixtureSet();
    const { services } = fakeServices({ hangBuild: 'python' });
    const controller = new AbortController();
    const { result } = await runModuleSet({
      set,
      graph,
      services,
      prefetch: true,
      jobs: 4,
      configConcurrency: 4,
      outRoot: join(dir, 'out'),
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'node-start' && e.node.id === 'build:python:latest')
          setImmediate(() => controller.abort('interrupted'));
      },
    });
    expect(result.ok).toBe(false);
    expect(result.outcomes.get('build:python:latest')).toEqual({
      ok: false,
      failure: { reason: 'cancelled' },
    });
    const python = await readdir(join(dir, 'out', 'python')).catch(() => []);
    expect(python).toEqual([]);
    const all = await readdir(join(dir, 'out'), { recursive: true });
    expect(all.filter((p) => p.includes('.tmp-'))).toEqual([]);
  });

  it('stops at the first failed build by default and keeps going when asked', async () => {
    const { set, graph } = await fixtureSet();
    const failFast = await runModuleSet({
      set,
      graph,
      services: fakeServices({ failBuild: 'git' }).services,
      prefetch: false,
      jobs: 1,
      configConcurrency: 1,
      outRoot: join(dir, 'a'),
    });
    const keepGoing = await runModuleSet({
      set,
      graph,
      services: fakeServices({ failBuild: 'git' }).services,
      prefetch: false,
      jobs: 1,
      configConcurrency: 1,
      outRoot: join(dir, 'b'),
      keepGoing: true,
    });
    expect(failFast.result.ok).toBe(false);
    expect(keepGoing.result.ok).toBe(false);
    const okBuilds = (r: typeof failFast) =>
      r.report.nodes.filter((n) => n.kind === 'build' && n.status === 'ok').length;
    // only the dev images install git: fail-fast stops after the first of them
    expect(okBuilds(keepGoing)).toBe(3);
    const failedIds = (r: typeof failFast) =>
      r.report.nodes.filter((n) => n.status === 'failed').map((n) => n.id);
    expect(failedIds(failFast)).toHaveLength(1);
    expect(failFast.report.totals.nodes.cancelled).toBeGreaterThan(0);
    expect(failedIds(keepGoing)).toEqual(['build:curl:latest-dev', 'build:python:latest-dev']);
    expect(keepGoing.report.nodes.find((n) => n.id === 'build:curl:latest-dev')?.error?.code).toBe(
      'ERR_FILE_CONFLICT',
    );
  });
});
