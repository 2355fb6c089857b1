import { describe, expect, it } from 'vitest';
import { niceCeil, renderChart } from './chart.js';
import type { BenchResult, BenchRow, Strategy } from './types.js';

function row(strategy: Strategy, jobs: number, hitRate: number, wallMs: number): BenchRow {
  return {
    strategy,
    jobs,
    ok: true,
    requests: 100,
    unique: 20,
    hits: 0,
    coalesced: 0,
    downloads: Math.round(100 * (1 - hitRate)),
    duplicateDownloads: 0,
    bytesDownloaded: 0,
    idealHitRate: 0.8,
    hitRate,
    serverApkGets: 0,
    serverApkBytes: 0,
    serverAgrees: true,
    wallMs,
    configMs: 0,
    buildMs: 0,
    peakRssBytes: 0,
    cpuMs: 0,
    lowerBoundMs: 0,
  };
}

const result: BenchResult = {
  settings: {
    set: 'a <b> & "c"',
    repository: '/tmp/repo',
    mirrorFrom: [],
    latencyMs: 20,
    bandwidthBytesPerSec: 50 * 1024 * 1024,
    jobs: [1, 4],
    strategies: ['naive', 'dedup'],
    node: 'v20',
    cpus: 2,
    startedAt: '2026-01-01T00:00:00.000Z',
  },
  rows: [row('naive', 1, 0.8, 2000), row('naive', 4, 0.5, 1500), row('dedup', 1, 0.8, 2100)],
};

describe('renderChart', () => {
  it('writes one polyline per strategy and panel and escapes text', () => {
    const svg = renderChart(result);
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    expect(svg).toContain('a &lt;b&gt; &amp; &quot;c&quot;');
    expect(svg).toContain('ideal 80%');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });
});

describe('niceCeil', () => {
  it('rounds up to a round number close above the maximum', () => {
    expect(niceCeil(0.3)).toBeCloseTo(0.3, 10);
    expect(niceCeil(7)).toBe(8);
    expect(niceCeil(13)).toBe(15);
    expect(niceCeil(212)).toBe(250);
    expect(niceCeil(1000)).toBe(1000);
    expect(niceCeil(0)).toBe(1);
  });
});
