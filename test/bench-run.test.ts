/**
 * `apkgraph bench` end to end on a tiny module set (3 modules, latest + latest-dev) against a
 * tiny synthetic repository. Each configuration is a real `apkgraph run` child process, so this
 * needs the compiled CLI (npm run build).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIndexText } from '../src/apk/apkindex.js';
import { newPackageRecord, type PackageRecord } from '../src/apk/types.js';
import { runBench, writeBenchOutputs } from '../src/bench/bench.js';
import type { BenchResult, Strategy } from '../src/bench/types.js';
import { synthRepository } from '../src/synth/repo-synth.js';

const STRATEGIES: Strategy[] = ['naive', 'dedup', 'prefetch'];

/** A name that can never resolve: every fetch must go through the mirror to the bench server. */
const REPO_URL = 'https://packages.bench.invalid/os';

function rec(name: string, size: number, fields: Partial<PackageRecord> = {}): PackageRecord {
  return { ...newPackageRecord(name, '1.0-r0', 'x86_64'), size, ...fields };
}

const INDEX = [
  rec('baselayout', 20_000),
  rec('libc', 200_000, { provides: ['so:libc.so.6=6'] }),
  rec('libfoo', 80_000, { depends: ['so:libc.so.6'], provides: ['so:libfoo.so.1=1'] }),
  rec('app-a', 150_000, { depends: ['so:libfoo.so.1', 'so:libc.so.6'] }),
  rec('app-b', 120_000, { depends: ['so:libc.so.6'] }),
  rec('app-c', 60_000, { depends: ['app-b'] }),
  rec('shell', 90_000, { depends: ['so:libc.so.6'] }),
];

async function writeSet(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'apkgraph.yaml'),
    [
      'archs: [x86_64]',
      `repositories: [${REPO_URL}]`,
      'packages: [baselayout]',
      'dev_packages: [shell]',
      '',
    ].join('\n'),
  );
  const modules: Record<string, string[]> = {
    a: ['app-a'],
    b: ['app-b'],
    c: ['app-a', 'app-c'],
  };
  for (const [name, pkgs] of Object.entries(modules)) {
    await mkdir(join(dir, name));
    await writeFile(
      join(dir, name, 'apko.yaml'),
      `contents:\n  packages: [${pkgs.join(', ')}]\nentrypoint:\n  command: /bin/true\n`,
    );
    await writeFile(join(dir, name, 'module.yaml'), 'dev: true\n');
  }
}

/** A minimal XML well-formedness check: balanced, properly nested tags. */
function checkWellFormed(xml: string): void {
  const stack: string[] = [];
  const body = xml.replace(/^<\?xml[^>]*\?>/, '');
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, close, name, , selfClose] = m;
    if (selfClose) continue;
    if (close) expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
  expect(body.replace(/<[^>]*>/g, '')).not.toMatch(/[<>]/);
}

describe('runBench', () => {
  let tmp: string;
  let result: BenchResult;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-bench-test-'));
    await writeFile(join(tmp, 'APKINDEX'), formatIndexText(INDEX));
    await synthRepository({ from: join(tmp, 'APKINDEX'), out: join(tmp, 'repo'), scale: 1 });
    await writeSet(join(tmp, 'set'));
    result = await runBench({
      set: join(tmp, 'set'),
      repository: join(tmp, 'repo'),
      strategies: STRATEGIES,
      jobs: [1, 4],
      latencyMs: 5,
      bandwidthBytesPerSec: 64 * 1024 * 1024,
      workDir: tmp,
    });
  }, 240_000);
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('runs every strategy at every jobs value', () => {
    expect(result.rows.map((r) => `${r.strategy}:${r.jobs}`)).toEqual(
      STRATEGIES.flatMap((s) => [`${s}:1`, `${s}:4`]),
    );
    for (const r of result.rows) expect(r.error ?? '').toBe('');
  });

  it('counts the references of 6 builds and the packages they share', () => {
    // latest a: baselayout libc libfoo app-a (4); b: baselayout libc app-b (3);
    // c: baselayout libc libfoo app-a app-b app-c (6); each dev adds shell.
    for (const r of result.rows) {
      expect(r.requests).toBe(4 + 3 + 6 + 5 + 4 + 7);
      expect(r.unique).toBe(7);
      expect(r.idealHitRate).toBeCloseTo(1 - 7 / 29, 10);
    }
  });

  it('downloads each package exactly once with dedup and prefetch', () => {
    for (const r of result.rows.filter((x) => x.strategy !== 'naive')) {
      expect(r.downloads, `${r.strategy}:${r.jobs}`).toBe(r.unique);
      expect(r.duplicateDownloads).toBe(0);
      expect(r.hitRate).toBeCloseTo(r.idealHitRate, 10);
    }
  });

  it('downloads each package at least once with naive, and counts any repeats', () => {
    for (const r of result.rows.filter((x) => x.strategy === 'naive')) {
      expect(r.downloads).toBeGreaterThanOrEqual(r.unique);
      expect(r.duplicateDownloads).toBe(r.downloads - r.unique);
      expect(r.coalesced).toBe(0);
    }
  });

  it("agrees with the server's own count of .apk GETs", () => {
    for (const r of result.rows) {
      expect(r.serverApkGets, `${r.strategy}:${r.jobs}`).toBe(r.downloads);
      expect(r.serverAgrees).toBe(true);
    }
  });

  it('measures wall time, phases and peak RSS', () => {
    for (const r of result.rows) {
      expect(r.wallMs).toBeGreaterThan(0);
      expect(r.configMs).toBeGreaterThan(0);
      expect(r.buildMs).toBeGreaterThan(0);
      expect(r.peakRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    }
  });

  it('writes bench.json, bench.md and a well-formed bench.svg', async () => {
    const out = join(tmp, 'out');
    const files = await writeBenchOutputs(result, out);
    const json = JSON.parse(await readFile(files.json, 'utf8')) as BenchResult;
    expect(json.rows).toHaveLength(STRATEGIES.length * 2);
    expect(await readFile(files.markdown, 'utf8')).toContain('| prefetch | 4 | 29 | 7 |');
    const svg = await readFile(files.svg, 'utf8');
    checkWellFormed(svg);
    expect(svg.match(/<polyline /g)).toHaveLength(STRATEGIES.length * 2);
  });
});
