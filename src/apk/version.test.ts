import { describe, expect, it } from 'vitest';
import { ApkgraphError } from '../errors.js';
import { compareVersions, fuzzyMatches, isValidVersion, parseVersion } from './version.js';

// Each row is [a, b, compareVersions(a, b)], following apk-tools 2.14. Rows marked "real" use
// versions that occur in Alpine's v3.9–v3.22 indexes.
const PAIRS: Array<[string, string, -1 | 0 | 1]> = [
  ['1.0', '1.0', 0],
  ['1.0', '1.1', -1],
  ['1.2.3', '1.2', 1],
  ['1.2', '1.2.3', -1],
  ['1.10', '1.9', 1],
  ['2', '10', -1],
  ['1.2a', '1.2', 1],
  ['1.2a', '1.2b', -1],
  ['1.2z', '1.3', -1],
  ['1', '1a', -1],
  ['1.2a', '1.2.1', -1],
  ['1.2.3_rc1', '1.2.3', -1],
  ['1.2.3_alpha', '1.2.3_beta', -1],
  ['1.2.3_beta2', '1.2.3_beta10', -1],
  ['1.2.3_pre1', '1.2.3_rc1', -1],
  ['1.2.3_rc1', '1.2.3_p1', -1],
  ['1.2.3_p1', '1.2.3', 1],
  ['1.2.3_cvs', '1.2.3_svn', -1],
  ['1.2.3_svn', '1.2.3_git', -1],
  ['1.2.3_git', '1.2.3_hg', -1],
  ['1.2.3_hg', '1.2.3_p', -1],
  ['1.2.3_git20240101', '1.2.3', 1],
  ['1.2_alpha', '1.2a', -1],
  ['1.2_p1', '1.2a', -1],
  ['1.0_alpha1', '1.0_alpha', 1],
  ['1.2_rc', '1.2_rc0', -1],
  ['1.0_rc1_p1', '1.0_rc1', 1],
  ['1.0_rc1_alpha', '1.0_rc1', -1],
  ['1.0_p1_p2', '1.0_p1_p1', 1],
  ['1.2.3-r1', '1.2.3-r0', 1],
  ['1.2.3-r0', '1.2.3', 1],
  ['1.2.3-r10', '1.2.3-r9', 1],
  ['1.2.3-r0', '1.2.3-r00', 0],
  ['1.2.3_rc1-r0', '1.2.3-r0', -1],
  ['1.2.3-r0', '1.2.3_p1-r0', -1],
  ['6.5_p20241228-r2', '6.5-r9', 1],
  // Leading zeros: a run of n zeros after a dot reads as -(n-1), then the number.
  ['1.01', '1.1', -1],
  ['1.001', '1.01', -1],
  ['1.0', '1', 1],
  ['1.0', '1.00', 1],
  ['1.00', '1.000', 1],
  ['1.2a3', '1.2a2', 1],
  ['1.05', '1.5', -1],
  ['1.5', '1.05', 1],
  ['1.50', '1.05', 1],
  ['019-r3', '19-r3', 0],
  ['999999999999', '1000000000000', -1],
  ['1.10.1', '1.9.10', 1],
  // real
  ['0.002-r0', '0.01-r2', -1],
  ['0.01-r4', '0.010-r0', -1],
  // Not decimal order: both read as -1 then 1013 vs 2.
  ['0.001013-r4', '0.002-r0', 1],
  ['7.00-r0', '7.0-r0', -1],
  ['1.51.08-r5', '1.51.8-r5', -1],
  ['2.9.7.0-r0', '2.9.7-r0', 1],
  ['20250104.3.1-r1', '20250104.3-r1', 1],
  ['2025b-r0', '2025a-r9', 1],
  ['2025b-r1', '2025b-r0', 1],
  ['12.2.1_git20220924-r4', '12.2.1-r4', 1],
  ['10.0_p1-r9', '10.0-r9', 1],
  ['0_git20200319-r0', '0-r4', 1],
  ['0.2_git20170816-r4', '0.2.1-r0', -1],
  ['2.0.5_rc1-r5', '2.0.5-r0', -1],
  ['5.0_git20200422-r0', '5.0-r0', 1],
  ['0.0.1887.20251502-r1', '0.0.1887-r1', 1],
  ['1.37.0-r19', '1.37.0-r2', 1],
  ['3.0.8-r4', '3.0.8-r5', -1],
  ['3.5.4-r0', '3.5.4-r0', 0],
  ['8.14.1-r2', '8.15', -1],
  ['6.5_p20250503-r0', '6.5_p20241228-r2', 1],
];

describe('compareVersions', () => {
  it.each(PAIRS)('compares %s with %s as %i', (a, b, want) => {
    expect(compareVersions(a, b)).toBe(want);
    expect(compareVersions(b, a)).toBe(want === 0 ? 0 : -want);
  });

  it('has at least sixty pairs', () => {
    expect(PAIRS.length).toBeGreaterThanOrEqual(60);
  });

  it('sorts a shuffled list into apk order', () => {
    const sorted = ['1.2.3_rc1', '1.2.3_alpha', '1.2.3', '1.2.3-r1', '1.2.3_p1', '1.2.3a', '1.2.4'];
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareVersions)).toEqual([
      '1.2.3_alpha',
      '1.2.3_rc1',
      '1.2.3',
      '1.2.3-r1',
      '1.2.3_p1',
      '1.2.3a',
      '1.2.4',
    ]);
  });

  it('throws ERR_VERSION when a version is invalid', () => {
    expect(() => compareVersions('1.0', 'abc')).toThrow(ApkgraphError);
    try {
      compareVersions('xy', '1');
    } catch (err) {
      expect((err as ApkgraphError).code).toBe('ERR_VERSION');
    }
    expect.assertions(2);
  });
});

describe('isValidVersion', () => {
  it.each(['1', '1.2.3', '1.2a', '1.2_rc1', '1.2_p1_git3-r4', '2025b-r0', '0.001013-r4', '1.2a3'])(
    'accepts %s',
    (v) => {
      expect(isValidVersion(v)).toBe(true);
    },
  );

  it.each([
    '',
    'abc',
    '1.2a.3',
    '1.2_foo',
    '1.2-1',
    '1.2-r1_p1',
    '1.2-r1.3',
    '1234567890123456789',
  ])('rejects "%s"', (v) => {
    expect(isValidVersion(v)).toBe(false);
    expect(() => parseVersion(v)).toThrow(/invalid version/);
  });
});

describe('fuzzyMatches', () => {
  it.each([
    ['1.37.0-r19', '1.37', true],
    ['1.37.0-r19', '1.3', false],
    ['1.37.0-r19', '1.37.0-r1', false],
    ['1.37.0-r19', '1.37.0-r19', true],
    ['1.22.5-r0', '1.22', true],
    ['1.22-r0', '1.22.5', true],
    ['2.49.1-r0', '2.49.1', true],
    ['10.0_p1-r9', '10.0', true],
    ['1.2.3', '1', true],
    ['8.14.1-r2', '8.15', false],
  ] as const)('matches %s against ~%s: %s', (version, c, want) => {
    expect(fuzzyMatches(version, c)).toBe(want);
  });
});
