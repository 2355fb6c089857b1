import { describe, expect, it } from 'vitest';
import type { CacheCounters } from '../src/cache/counters.js';
import { ApkgraphError } from '../src/errors.js';
import { buildGraph } from '../src/graph/build-graph.js';
import { computePlanStats } from '../src/graph/plan-stats.js';
import type { ModuleDef } from '../src/moduleset/types.js';
import type { BuildValue, ConfigValue } from '../src/scheduler/nodes.js';
import { ProgressTracker, summaryText } from '../src/scheduler/progress.js';
import { buildReport } from '../src/scheduler/report.js';
import { runGraph } from '../src/scheduler/scheduler.js';
import { buildTrace } from '../src/scheduler/trace.js';
import { unifyArchs } from '../src/scheduler/nodes.js';
import { newPackageRecord } from '../src/apk/types.js';
import { moduleDef } from './module-fixtures.js';

const mod = (name: string): ModuleDef => moduleDef(name, [], false);

const counts = { hit: 1, coalesced: 0, miss: 2, bytes: 300 };
const measured = {
  requests: 3,
  hit: 1,
  coalesced: 0,
  miss: 2,
  failed: 0,
  bytesDownloaded: 0,
  hitRate: 1 / 3,
} as CacheCounters;

/** A run on a fake clock: every task takes 10 ms. */
async function fakeRun() {
  const graph = buildGraph({ modules: [mod('a'), mod('b')] });
  let t = 0;
  const result = await runGraph<ConfigValue, BuildValue>(graph, {
    configConcurrency: 2,
    buildConcurrency: 1,
    keepGoing: true,
    now: () => t,
    runners: {
      config: (n) => {
        t += 10;
        return Promise.resolve({
          node: n.id,
          archs: [{ arch: 'x86_64', world: [], packages: [] }],
          runtimeRepositories: [],
          keyring: [],
          index: [],
          archDifferences: n.module === 'a' ? ['libatomic'] : [],
          cache: counts,
        });
      },
      build: (n) => {
        t += 10;
        if (n.module === 'b') return Promise.reject(new ApkgraphError('ERR_BUILD', 'disk full'));
        return Promise.resolve({
          node: n.id,
          outDir: '/out/a/latest',
          indexDigest: 'sha256:1',
          archs: [{ arch: 'x86_64', manifestDigest: 'sha256:2', packages: 3 }],
          cache: counts,
        });
      },
    },
  });
  const report = buildReport({
    graph,
    result,
    predicted: computePlanStats([]),
    measured,
    settings: { prefetch: true, jobs: 1, configConcurrency: 2, keepGoing: true },
  });
  return { graph, result, report };
}

describe('buildReport', () => {
  it('records status, timings, packages, cache counts and errors per node', async () => {
    const { report } = await fakeRun();
    expect(report.ok).toBe(false);
    expect(report.totals.nodes).toEqual({ ok: 3, failed: 1, 'dependency-failed': 0, cancelled: 0 });
    const a = report.nodes.find((n) => n.id === 'build:a:latest')!;
    expect(a).toMatchObject({
      status: 'ok',
      packages: { x86_64: 3 },
      cache: counts,
      indexDigest: 'sha256:1',
      lane: 0,
    });
    expect(a.durationMs).toBe(10);
    const b = report.nodes.find((n) => n.id === 'build:b:latest')!;
    expect(b.status).toBe('failed');
    expect(b.error).toEqual({ code: 'ERR_BUILD', message: 'build b latest: disk full' });
    expect(report.totals.measured).toBe(measured);
    expect(report.nodes.find((n) => n.id === 'config:a:latest')?.archDifferences).toEqual([
      'libatomic',
    ]);
    expect(report.nodes.find((n) => n.id === 'config:b:latest')).not.toHaveProperty(
      'archDifferences',
    );
  });
});

describe('buildTrace', () => {
  it('puts each node on its kind’s lane as a complete event in microseconds', async () => {
    const { report } = await fakeRun();
    const trace = buildTrace(report);
    const complete = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(complete).toHaveLength(4);
    const build = complete.find((e) => e.args?.node === 'build:a:latest')!;
    expect(build).toMatchObject({ pid: 2, tid: 0, dur: 10_000, cat: 'build' });
    const names = trace.traceEvents
      .filter((e) => e.name === 'thread_name')
      .map((e) => `${e.pid}/${String(e.args?.name)}`);
    expect(names).toEqual(['1/config slot 0', '1/config slot 1', '2/build worker 0']);
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
  });
});

describe('ProgressTracker', () => {
  it('counts nodes per kind and names failures in plain lines', async () => {
    const tracker = new ProgressTracker();
    const lines: string[] = [];
    const graph = buildGraph({ modules: [mod('a')] });
    await runGraph(graph, {
      configConcurrency: 1,
      buildConcurrency: 1,
      onEvent: (e) => {
        const line = tracker.update(e);
        if (line) lines.push(line);
      },
      runners: {
        config: () => Promise.resolve(1),
        build: () => Promise.reject(new ApkgraphError('ERR_BUILD', 'boom')),
      },
    });
    expect(lines).toEqual([
      'running 1 config and 1 build nodes',
      'done    config:a:latest (config 1/1)',
      'FAILED  build:a:latest: build a latest: boom',
    ]);
    expect(tracker.statusLine(measured)).toBe(
      'config 1/1 · build 1/1 · 0 B · hit 1 / miss 2 · 1 failed',
    );
  });

  it('does not count nodes that never ran as done', async () => {
    const tracker = new ProgressTracker();
    const lines: string[] = [];
    // a's config fails, so a's build never runs; b runs to the end.
    const graph = buildGraph({ modules: [mod('a'), mod('b')] });
    await runGraph(graph, {
      configConcurrency: 1,
      buildConcurrency: 1,
      keepGoing: true,
      onEvent: (e) => {
        const line = tracker.update(e);
        if (line) lines.push(line);
      },
      runners: {
        config: (n) =>
          n.module === 'a'
            ? Promise.reject(new ApkgraphError('ERR_RESOLVE', 'no'))
            : Promise.resolve(1),
        build: () => Promise.resolve(1),
      },
    });
    // Before the fix the skipped build counted as done: "build 2/2" with one build run.
    expect(lines).toContain('done    build:b:latest (build 1/2)');
    expect(tracker.statusLine()).toBe('config 2/2 · build 1/2 · 1 failed · 1 skipped');
  });

  it('summarises downloads against the build references', () => {
    const text = summaryText({
      ok: true,
      durationMs: 1500,
      nodes: { ok: 4, failed: 0 },
      cache: { ...measured, bytesDownloaded: 2048 },
      idealHitRate: 0.5,
      unique: 2,
      references: 4,
    });
    expect(text).toContain('finished in 1.5 s: 4 ok\n');
    expect(text).toContain(
      'hit rate: 50.0 % (2 downloads for 4 package references of the builds), ideal 50.0 %',
    );
    expect(text).not.toContain('warm cache');
  });

  it('says so when a warm cache beats the ideal', () => {
    const text = summaryText({
      ok: true,
      durationMs: 1500,
      nodes: { ok: 4 },
      cache: { ...measured, miss: 0 },
      idealHitRate: 0.5,
      unique: 2,
      references: 4,
    });
    expect(text).toContain('hit rate: 100.0 %');
    expect(text).toContain('the cache already held 2 of the 2 unique packages (warm cache');
  });
});

describe('unifyArchs', () => {
  it('pins what every arch installs at one version and lists the rest', () => {
    const pkg = (name: string, version: string) => ({
      record: newPackageRecord(name, version, 'noarch'),
      repository: 'r',
    });
    const u = unifyArchs([
      {
        arch: 'x86_64',
        world: [],
        packages: [pkg('libc', '1'), pkg('zlib', '2'), pkg('app', '3')],
      },
      {
        arch: 'aarch64',
        world: [],
        packages: [pkg('libc', '1'), pkg('libatomic', '1'), pkg('zlib', '2.1'), pkg('app', '3')],
      },
    ]);
    expect(u.index).toEqual(['libc=1', 'app=3']);
    expect(u.archDifferences).toEqual(['libatomic', 'zlib']);
  });
});
