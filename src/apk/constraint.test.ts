import { describe, expect, it } from 'vitest';
import {
  formatConstraint,
  parseConstraint,
  parseProvide,
  satisfiesConstraint,
  type Constraint,
} from './constraint.js';

describe('parseConstraint', () => {
  it.each([
    ['busybox', { name: 'busybox', op: 'any', conflict: false }],
    ['so:libc.musl-x86_64.so.1', { name: 'so:libc.musl-x86_64.so.1', op: 'any', conflict: false }],
    ['musl=1.2.5-r10', { name: 'musl', op: '=', version: '1.2.5-r10', conflict: false }],
    ['openssl>=3', { name: 'openssl', op: '>=', version: '3', conflict: false }],
    ['xz<6', { name: 'xz', op: '<', version: '6', conflict: false }],
    ['git~2.49', { name: 'git', op: '~', version: '2.49', conflict: false }],
    ['git=~2.49', { name: 'git', op: '~', version: '2.49', conflict: false }],
    ['nginx>~1.28', { name: 'nginx', op: '>~', version: '1.28', conflict: false }],
    ['nginx<~1.28', { name: 'nginx', op: '<~', version: '1.28', conflict: false }],
    ['python3><Q1abc=', { name: 'python3', op: '><', version: 'Q1abc=', conflict: false }],
    ['!libcurl', { name: 'libcurl', op: 'any', conflict: true }],
    ['!foo<2', { name: 'foo', op: '<', version: '2', conflict: true }],
    ['busybox@edge', { name: 'busybox', op: 'any', pin: 'edge', conflict: false }],
    ['busybox@edge>=1', { name: 'busybox', op: '>=', version: '1', pin: 'edge', conflict: false }],
    [
      'busybox=1.0-r0@edge',
      { name: 'busybox', op: '=', version: '1.0-r0', pin: 'edge', conflict: false },
    ],
  ] as Array<[string, Constraint]>)('parses %s', (text, want) => {
    expect(parseConstraint(text)).toEqual(want);
  });

  it.each(['', '!', 'busybox=abc', 'busybox=', 'busybox=>!1', 'foo<>=1', '@edge', 'foo@', 'a b'])(
    'throws ERR_CONSTRAINT for "%s"',
    (text) => {
      expect(() => parseConstraint(text)).toThrow(
        expect.objectContaining({ code: 'ERR_CONSTRAINT' }),
      );
    },
  );

  it('round-trips through formatConstraint', () => {
    for (const s of ['busybox', '!foo<2', 'busybox@edge>=1', 'git~2.49', 'x><Q1a=']) {
      expect(formatConstraint(parseConstraint(s))).toBe(s);
    }
  });
});

describe('satisfiesConstraint', () => {
  it.each([
    ['1.2.5-r10', 'musl=1.2.5-r10', true],
    ['1.2.5-r10', 'musl=1.2.5', false],
    ['1.2.5-r10', 'musl<1.2.5-r10', false],
    ['1.2.5-r10', 'musl<=1.2.5-r10', true],
    ['3.5.4-r0', 'openssl>=3.5.4-r0', true],
    ['3.5.4-r0', 'openssl>3.5.4-r0', false],
    ['22.16.0-r2', 'nodejs>23', false],
    ['1.37.0-r19', 'busybox~1.3', false],
    ['1.37.0-r19', 'busybox~1.37', true],
    ['1.28.0-r3', 'nginx>~1.28', true],
    ['1.29.0-r0', 'nginx>~1.28', true],
    ['1.27.9-r0', 'nginx>~1.28', false],
    ['1.28.5-r0', 'nginx<~1.28', true],
    ['1.29.0-r0', 'nginx<~1.28', false],
    ['3.12.12-r0', 'python3><3.12.12-r0', false],
    ['1.0', 'anything', true],
    ['20250911-r0', 'ca-certificates>=20250910', true],
  ] as const)('checks %s against %s: %s', (version, c, want) => {
    expect(satisfiesConstraint(version, parseConstraint(c))).toBe(want);
  });

  it('matches >< against the package checksum', () => {
    const c = parseConstraint('zlib><Q1abc=');
    expect(satisfiesConstraint('1.0-r0', c, 'Q1abc=')).toBe(true);
    expect(satisfiesConstraint('1.0-r0', c, 'Q1xyz=')).toBe(false);
  });

  it('lets an invalid or missing version satisfy only an unversioned constraint', () => {
    expect(satisfiesConstraint('bogus', parseConstraint('x>=1'))).toBe(false);
    expect(satisfiesConstraint(undefined, parseConstraint('x>=1'))).toBe(false);
    expect(satisfiesConstraint(undefined, parseConstraint('x'))).toBe(true);
  });
});

describe('parseProvide', () => {
  it('splits a versioned provide and keeps a virtual bare', () => {
    expect(parseProvide('cmd:sh=1.37.0-r19')).toEqual({ name: 'cmd:sh', version: '1.37.0-r19' });
    expect(parseProvide('/bin/sh')).toEqual({ name: '/bin/sh' });
  });
});
