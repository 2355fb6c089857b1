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
