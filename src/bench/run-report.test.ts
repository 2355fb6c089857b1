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

  it('leaves out what the report lacks or holds as a non-number', () => {
    expect(figuresFromReport({ cache: { hits: 'many' } })).toEqual({});
    expect(figuresFromReport(undefined)).toEqual({});
  });
});
