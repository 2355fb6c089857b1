import { describe, expect, it } from 'vitest';
import { parseBandwidth } from '../cli/commands/bench.js';
import { parseJobs, parseStrategies, STRATEGY_RUN_ARGS } from './strategies.js';

const fail = (m: string): Error => new Error(m);

describe('parseStrategies', () => {
  it('keeps the given order and drops repeats', () => {
    expect(parseStrategies('prefetch, naive,prefetch', fail)).toEqual(['prefetch', 'naive']);
  });
  it('refuses an unknown name', () => {
    expect(() => parseStrategies('naive,fast', fail)).toThrow(/unknown strategy "fast"/);
  });
});

describe('parseJobs', () => {
  it('sorts and dedupes', () => {
    expect(parseJobs('16,1,4,4', fail)).toEqual([1, 4, 16]);
  });
  it('refuses zero and fractions', () => {
    expect(() => parseJobs('0', fail)).toThrow(/positive integers/);
    expect(() => parseJobs('1.5', fail)).toThrow(/positive integers/);
  });
});

describe('STRATEGY_RUN_ARGS', () => {
  it('prefetches only in the prefetch strategy and coordinates fetches except in naive', () => {
    expect(STRATEGY_RUN_ARGS.prefetch).toContain('--prefetch');
    expect(STRATEGY_RUN_ARGS.dedup).toContain('--no-prefetch');
    expect(STRATEGY_RUN_ARGS.naive.join(' ')).toContain('--fetch-coordination none');
  });
});

describe('parseBandwidth', () => {
  it('reads binary and decimal units', () => {
    expect(parseBandwidth('50MiB')).toBe(50 * 1024 * 1024);
    expect(parseBandwidth('2.5MB/s')).toBe(2_500_000);
    expect(parseBandwidth('1000')).toBe(1000);
  });
  it('refuses nonsense', () => {
    expect(() => parseBandwidth('fast')).toThrow(/--bandwidth/);
    expect(() => parseBandwidth('0')).toThrow(/--bandwidth/);
  });
});
