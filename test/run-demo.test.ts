/**
 * End to end on the embedded default set (modules/): the demo repository is generated and
 * served on loopback, the real resolver, cache and builder run, and the repository server's
 * request counts are compared with the run's report.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoRepo, loadDemoRepoSpec } from '../src/demo/demo-repo.js';
import { AbortError, ApkgraphError } from '../src/errors.js';
import { buildGraph } from '../src/graph/build-graph.js';
import { selectTargets } from '../src/graph/targets.js';
import { loadModuleSet } from '../src/moduleset/load.js';
import type { ModuleSet } from '../src/moduleset/types.js';
import type { ConfigValue } from '../src/scheduler/nodes.js';
import { createRealServices } from '../src/scheduler/real-services.js';
import { resolveSetLocks } from '../src/scheduler/resolve-set.js';
import { runModuleSet } from '../src/scheduler/run-set.js';
import { startRepoServer, type RepoServer } from '../src/serve/repo-server.js';

const MODULES = resolve(import.meta.dirname, '..', 'modules');

let dir: string;
let set: ModuleSet;
let server: RepoServer;
let mirrors: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apkgraph-demo-run-'));
  set = await loadModuleSet(MODULES);
  const spec = await loadDemoRepoSpec(set.settings.demo!);
  const demo = await ensureDemoRepo(spec, join(dir, 'repo-cache'));
  server = await startRepoServer({ root: demo.dir });
  mirrors = { [spec.repository]: server.url };
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `targets` for x86_64 with a fresh cache and output folder. */
async function runTargets(
  name: string,
  targets: string[],
  signal?: AbortSignal,
  onStart?: (id: string) => void,
) {
  const graph = selectTargets(buildGraph(set), targets);
  const services = createRealServices({
    cacheDir: join(dir, `cache-${name}`),
    mirrors,
    fetchInProcess: true,
    buildInProcess: true,
  });
  try {
    const out = join(dir, `out-${name}`);
    const run = await runModuleSet({
      set,
      graph,
      services,
      prefetch: true,
      jobs: 2,
      configConcurrency: 4,
      outRoot: out,
      overrides: { archs: ['x86_64'] },
      ...(signal ? { signal } : {}),
      ...(onStart ? { onEvent: (e) => e.type === 'node-start' && onStart(e.node.id) } : {}),
    });
    return { ...run, out };
  } finally {
    await services.close();
  }
}

const apkGets = (): Map<string, number> =>
  new Map(
    [...server.counts()]
      .filter(([path]) => path.endsWith('.apk'))
      .map(([path, c]) => [path, c.get]),
  );

describe('run on the embedded default set', () => {
  it('downloads each package once, dev only its extras, and reports what the server saw', async () => {
    server.resetCounts();
    const { result, report, out } = await runTargets('main', ['python', 'git', 'curl']);
    expect(result.ok).toBe(true);
    const gets = apkGets();
    // every .apk fetched exactly once, however many configs and builds need it
    expect([...gets.values()].every((n) => n === 1)).toBe(true);
    expect(report.totals.measured.miss).toBe(gets.size);
    expect(report.totals.predicted.perArch.x86_64?.unique).toBe(gets.size);
    // latest-dev's config never downloads a package its latest locked
    for (const m of ['python', 'git', 'curl']) {
      const latest = result.outcomes.get(`config:${m}:latest`);
      const dev = report.nodes.find((n) => n.id === `config:${m}:latest-dev`)!;
      if (!latest?.ok) throw new Error(`config ${m} failed`);
      const locked = (latest.value as ConfigValue).archs[0]!.packages.length;
      expect(dev.cache!.hit).toBeGreaterThanOrEqual(locked);
      // other dev configs may have fetched the shared extras first, so this is an upper bound
      expect(dev.cache!.miss + dev.cache!.coalesced).toBeLessThanOrEqual(
        dev.packages!.x86_64! - locked,
      );
    }
    // builds after a prefetch are all hits
    for (const n of report.nodes.filter((x) => x.kind === 'build')) {
      expect(n.cache).toMatchObject({ miss: 0, coalesced: 0 });
    }
    expect((await readdir(join(out, 'python', 'latest-dev'))).sort()).toEqual([
      'apko.lock.json',
      'blobs',
      'index.json',
      'oci-layout',
    ]);
  });

  it('trusts a key given with --keyring, and refuses the index without it', async () => {
    const demoKey = set.settings.keyring[0]!;
    const untrusting: ModuleSet = { ...set, settings: { ...set.settings, keyring: [] } };
    const graph = selectTargets(buildGraph(untrusting), ['curl:latest']);
    const services = createRealServices({
      cacheDir: join(dir, 'cache-keys'),
      mirrors,
      fetchInProcess: true,
      buildInProcess: true,
    });
    try {
      const overrides = { archs: ['x86_64'] };
      const refused = await resolveSetLocks(untrusting, graph, { services, overrides }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(ApkgraphError);
      expect((refused as ApkgraphError).code).toMatch(/^ERR_(UNTRUSTED|SIGNATURE)$/);
      const locks = await resolveSetLocks(untrusting, graph, {
        services,
        overrides: { ...overrides, keyring: [demoKey] },
      });
      expect(locks.map((l) => l.node)).toEqual(['config:curl:latest']);
    } finally {
      await services.close();
    }
  });

  it('leaves no partial output when cancelled mid-run', async () => {
    const controller = new AbortController();
    const { result, out } = await runTargets(
      'cancel',
      ['python', 'node', 'nginx'],
      controller.signal,
      (id) => {
        if (id.startsWith('build:')) controller.abort(new AbortError('test cancel'));
      },
    );
    expect(result.ok).toBe(false);
    const entries = await readdir(out, { recursive: true }).catch(() => [] as string[]);
    expect(entries.filter((p) => p.includes('.tmp-'))).toEqual([]);
    // whatever exists is a complete layout (its lock file is written right after it)
    for (const e of entries.filter((p) => /^[^/]+\/latest(-dev)?$/.test(p))) {
      const names = (await readdir(join(out, e))).filter((n) => n !== 'apko.lock.json');
      expect(names.sort()).toEqual(['blobs', 'index.json', 'oci-layout']);
    }
    const cancelled = [...result.outcomes.values()].filter(
      (o) => !o.ok && o.failure.reason === 'cancelled',
    );
    expect(cancelled.length).toBeGreaterThan(0);
  });
});
