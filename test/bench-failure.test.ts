/**
 * A benchmark configuration whose run fails becomes a FAILED row that says why; bench goes on
 * and never invents figures the run did not report. Needs the compiled CLI (npm run build).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIndexText } from '../src/apk/apkindex.js';
import { newPackageRecord } from '../src/apk/types.js';
import { runBench } from '../src/bench/bench.js';
import { formatTable } from '../src/bench/format.js';
import type { BenchResult } from '../src/bench/types.js';
import { synthRepository } from '../src/synth/repo-synth.js';

describe('runBench with a failing run', () => {
  let tmp: string;
  let result: BenchResult;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-bench-fail-'));
    const index = join(tmp, 'APKINDEX');
    await writeFile(
      index,
      formatIndexText([{ ...newPackageRecord('a', '1-r0', 'x86_64'), size: 5000 }]),
    );
    await synthRepository({ from: index, out: join(tmp, 'repo'), scale: 1, concurrency: 1 });
    const set = join(tmp, 'set');
    await mkdir(join(set, 'm'), { recursive: true });
    await writeFile(
      join(set, 'apkgraph.yaml'),
      'archs: [x86_64]\nrepositories: [https://packages.bench.invalid/os]\ndev_packages: []\n',
    );
    // "missing" is in no index: resolution fails and the run exits 1.
    await writeFile(join(set, 'm', 'apko.yaml'), 'contents:\n  packages: [a, missing]\n');
    await writeFile(join(set, 'm', 'module.yaml'), 'dev: false\n');
    result = await runBench({
      set,
      repository: join(tmp, 'repo'),
      strategies: ['dedup'],
      jobs: [1, 2],
      latencyMs: 0,
      workDir: tmp,
    });
  }, 120_000);
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('records every configuration as failed, with the end of the run’s stderr', () => {
    expect(result.rows.map((r) => r.jobs)).toEqual([1, 2]);
    for (const r of result.rows) {
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/^apkgraph run exited with 1: /);
      expect(r.error).toContain('missing');
    }
  });

  it('shows what it could not measure as n/a, not as zero', () => {
    const table = formatTable(result.rows);
    expect(table).toContain('dedup (FAILED)');
    expect(table).toContain('n/a');
    for (const r of result.rows) expect(Number.isNaN(r.hitRate)).toBe(true);
  });
});
