import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PayloadGenerator } from './content.js';

describe('PayloadGenerator', () => {
  it('gives the same bytes for the same seed, however they are requested', () => {
    const a = new PayloadGenerator('zlib 1.3.1-r0 x86_64').next(300_000);
    const g = new PayloadGenerator('zlib 1.3.1-r0 x86_64');
    const b = Buffer.concat([g.next(1), g.next(4095), g.next(123_456), g.next(300_000 - 127_552)]);
    expect(b.equals(a)).toBe(true);
  });

  it('gives different bytes for different seeds', () => {
    const a = new PayloadGenerator('a').next(65_536);
    const b = new PayloadGenerator('b').next(65_536);
    expect(a.equals(b)).toBe(false);
  });

  it('compresses about 2.5:1 under gzip, like real package data', () => {
    const data = new PayloadGenerator('ratio').next(8 * 1024 * 1024);
    const ratio = data.length / gzipSync(data, { level: 1 }).length;
    expect(ratio).toBeGreaterThan(2.2);
    expect(ratio).toBeLessThan(2.9);
  });
});
