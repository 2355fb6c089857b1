import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ApkgraphError } from '../errors.js';
import { gzipHeaderLength, readGzipMember } from './gzip-streams.js';
import { parseTar } from '../tar/tar-decoder.js';
import { encodeTarEntry, TAR_END } from '../tar/tar-encoder.js';

describe('readGzipMember', () => {
  const one = gzipSync(Buffer.from('first member'));
  const two = gzipSync(Buffer.from('second member, a bit longer'));
  const both = Buffer.concat([one, two]);

  it('finds the boundary between concatenated members', () => {
    const m1 = readGzipMember(both, 0, 'x', 1024);
    expect(m1).toMatchObject({ start: 0, end: one.length });
    expect(m1?.content.toString()).toBe('first member');
    const m2 = readGzipMember(both, one.length, 'x', 1024);
    expect(m2?.end).toBe(both.length);
    expect(m2?.content.toString()).toBe('second member, a bit longer');
  });

  it('returns undefined while the member is incomplete', () => {
    for (const cut of [3, 12, one.length - 1]) {
      expect(readGzipMember(both.subarray(0, cut), 0, 'x', 1024)).toBeUndefined();
    }
  });

  it('detects a bad CRC', () => {
    const bad = Buffer.from(one);
    bad[bad.length - 6] = (bad[bad.length - 6] ?? 0) ^ 1;
    expect(() => readGzipMember(bad, 0, 'x', 1024)).toThrow(/fails its CRC/);
  });

  it('enforces the output limit', () => {
    const big = gzipSync(Buffer.alloc(10_000));
    let code = '';
    try {
      readGzipMember(big, 0, 'x', 1000);
    } catch (err) {
      code = (err as ApkgraphError).code;
    }
    expect(code).toBe('ERR_SIZE_LIMIT');
  });

  it('skips optional header fields', () => {
    // FNAME and FCOMMENT set: the header grows by two NUL-terminated strings.
    const withName = Buffer.from(one);
    withName[3] = 8 | 16;
    const header = Buffer.concat([withName.subarray(0, 10), Buffer.from('name\0comment\0')]);
    expect(gzipHeaderLength(Buffer.concat([header, one.subarray(10)]), 0, 'x')).toBe(10 + 13);
  });

  it('rejects bytes that are not gzip', () => {
    expect(() => gzipHeaderLength(Buffer.from('plain text here'), 0, 'f')).toThrow(
      /no gzip member at byte 0 of f/,
    );
  });
});

describe('tar codec', () => {
  it('round-trips long names, link targets, modes and PAX records', () => {
    const long = `dir/${'n'.repeat(150)}`;
    const bytes = Buffer.concat([
      ...encodeTarEntry({
        name: long,
        data: Buffer.from('body'),
        mode: 0o4755,
        uid: 7,
        gid: 8,
        mtime: 99,
        pax: [['APK-TOOLS.checksum.SHA1', 'ab']],
      }),
      ...encodeTarEntry({ name: 'l', typeflag: '2', linkname: `/${'t'.repeat(120)}` }),
      TAR_END,
    ]);
    const [f, l] = parseTar(bytes, 't');
    expect(f).toMatchObject({ name: long, mode: 0o4755, uid: 7, gid: 8, mtime: 99, typeflag: '0' });
    expect(f?.data.toString()).toBe('body');
    expect(f?.pax['APK-TOOLS.checksum.SHA1']).toBe('ab');
    expect(l).toMatchObject({ name: 'l', typeflag: '2', linkname: `/${'t'.repeat(120)}` });
  });

  it('rejects a header with a bad checksum', () => {
    const bytes = Buffer.concat(encodeTarEntry({ name: 'a', data: Buffer.from('x') }));
    bytes[0] = 0x62;
    expect(() => parseTar(bytes, 'seg')).toThrow(/bad tar header checksum at byte 0 of seg/);
  });
});
