import { describe, expect, it } from 'vitest';
import { figuresFromReport } from './run-report.js';

describe('figuresFromReport', () => {
  it('reads figures from the first path that holds a number', () => {
    const f = figuresFromReport({
      plan: { overall: { references: 120, unique: 30, idealHitRate: 0.75 } },
      cache: { hits: 80, coalesced: 10, misses: 30, bytes: 4096 },
      phases: { configMs: 12, buildMs: 34 },
    });
    expect(f).toEqual({
      references: 120,
      unique: 30,
      idealHitRate: 0.75,
      hits: 80,
      coalesced: 10,
      downloads: 30,
      bytesDownloaded: 4096,
      configMs: 12,
      buildMs: 34,
    });
  });

  it('reads the run report: predicted and measured totals, phases from node times', () => {
    const f = figuresFromReport({
      durationMs: 900,
      nodes: [
        { kind: 'config', startMs: 0, endMs: 100 },
        { kind: 'config', startMs: 100, endMs: 400 },
        { kind: 'build', startMs: 120, endMs: 500 },
        { kind: 'build', startMs: 410, endMs: 880 },
        { kind: 'build', status: 'cancelled' },
      ],
      totals: {
        predicted: { overall: { references: 50, unique: 10, idealHitRate: 0.8 } },
        measured: { requests: 60, hit: 40, coalesced: 5, miss: 15, bytesDownloaded: 999 },
      },
    });
    expect(f).toEqual({
      references: 50,
      unique: 10,
      idealHitRate: 0.8,
      hits: 40,
      coalesced: 5,
      downloads: 15,
      bytesDownloaded: 999,
      wallMs: 900,
      configMs: 400,
      buildMs: 760,
    });
  });

  it('leaves out what the report lacks or holds as a non-number', () => {
    expect(figuresFromReport({ cache: { hits: 'many' } })).toEqual({});
    expect(figuresFromReport(undefined)).toEqual({});
  });
});
