import { lowerBoundMs } from './child-run.js';
import { describe, expect, it } from 'vitest';
import { formatMarkdown, formatTable } from './format.js';
import type { BenchResult, BenchRow } from './types.js';

const row: BenchRow = {
  strategy: 'dedup',
  jobs: 4,
  ok: true,
  requests: 200,
  unique: 50,
  hits: 150,
  coalesced: 3,
  downloads: 50,
  duplicateDownloads: 0,
  bytesDownloaded: 3 * 1024 * 1024,
  idealHitRate: 0.75,
  hitRate: 0.75,
  serverApkGets: 50,
  serverApkBytes: 3 * 1024 * 1024,
  serverAgrees: true,
  wallMs: 1234,
  configMs: NaN,
  buildMs: 800,
  peakRssBytes: 100 * 1024 * 1024,
  cpuMs: 30_000,
  lowerBoundMs: 15_000,
};

describe('formatTable', () => {
  it('aligns columns and shows missing figures as n/a', () => {
    const lines = formatTable([row, { ...row, strategy: 'naive', ok: false }])
      .trimEnd()
      .split('\n');
    expect(lines).toHaveLength(3);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[1]).toContain('75.0%');
    expect(lines[1]).toContain('n/a');
    expect(lines[2]).toContain('naive (FAILED)');
  });

  it('shows CPU time, the lower bound and wall time as a multiple of it', () => {
    const [header, first] = formatTable([{ ...row, wallMs: 18_000 }]).split('\n');
    const cells = first!.trim().split(/\s{2,}/);
    const columns = header!.trim().split(/\s{2,}/);
    expect(cells[columns.indexOf('CPU s')]).toBe('30.00');
    expect(cells[columns.indexOf('bound s')]).toBe('15.00');
    expect(cells[columns.indexOf('wall/bound')]).toBe('1.20');
  });
});

describe('lowerBoundMs', () => {
  it('is the longer of the transfer time and the CPU time spread over the cores', () => {
    const mib = 1024 * 1024;
    expect(lowerBoundMs(100 * mib, 50 * mib, 1_000, 2)).toBe(2_000);
    expect(lowerBoundMs(100 * mib, 50 * mib, 60_000, 2)).toBe(30_000);
    expect(lowerBoundMs(100 * mib, 50 * mib, undefined, 2)).toBeNaN();
  });
});

describe('formatMarkdown', () => {
  it('lists failures with their reason', () => {
    const result: BenchResult = {
      settings: {
        set: '/sets/x',
        repository: '/repo',
        mirrorFrom: ['https://example.invalid/os'],
        latencyMs: 20,
        bandwidthBytesPerSec: 50 * 1024 * 1024,
        jobs: [4],
        strategies: ['dedup'],
        node: 'v20',
        cpus: 2,
        startedAt: 'now',
      },
      rows: [row, { ...row, ok: false, error: 'boom' }],
    };
    const md = formatMarkdown(result);
    expect(md).toContain('| dedup | 4 | 200 |');
    expect(md).toContain('- dedup × 4: boom');
  });
});
