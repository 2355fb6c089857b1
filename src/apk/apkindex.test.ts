import { describe, expect, it } from 'vitest';
import { ApkgraphError } from '../errors.js';
import { formatIndexText, parseIndexText } from './apkindex.js';

const STANZA = [
  'C:Q1/dy61M3wkuQsY22lN0Ou8WqzFTQ=',
  'P:7zip',
  'V:24.09-r0',
  'A:x86_64',
  'S:915773',
  'I:1780088',
  'T:File archiver',
  'U:https://7-zip.org/',
  'L:LGPL-2.0-only',
  'o:7zip',
  'm:Someone <someone@example.org>',
  't:1735153354',
  'c:1fa85c6c2201f2e66a8b3582c02f5e036acef5e6',
  'k:100',
  'D:so:libc.musl-x86_64.so.1 so:libgcc_s.so.1',
  'p:7zip-virtual cmd:7z=24.09-r0',
  'i:7zip=24.09-r0 docs',
  'r:p7zip',
  'X:future field',
  '',
].join('\n');

describe('parseIndexText', () => {
  it('reads every field apk writes and keeps unknown letters', () => {
    const [r] = parseIndexText(STANZA);
    expect(r).toEqual({
      checksum: 'Q1/dy61M3wkuQsY22lN0Ou8WqzFTQ=',
      name: '7zip',
      version: '24.09-r0',
      arch: 'x86_64',
      size: 915773,
      installedSize: 1780088,
      description: 'File archiver',
      url: 'https://7-zip.org/',
      license: 'LGPL-2.0-only',
      origin: '7zip',
      maintainer: 'Someone <someone@example.org>',
      buildTime: 1735153354,
      commit: '1fa85c6c2201f2e66a8b3582c02f5e036acef5e6',
      providerPriority: 100,
      depends: ['so:libc.musl-x86_64.so.1', 'so:libgcc_s.so.1'],
      provides: ['7zip-virtual', 'cmd:7z=24.09-r0'],
      installIf: ['7zip=24.09-r0', 'docs'],
      replaces: ['p7zip'],
      extra: [['X', 'future field']],
    });
  });

  it('splits stanzas on blank lines, with or without a final one', () => {
    const text = 'P:a\nV:1-r0\nA:noarch\n\nP:b\nV:2-r0\nA:noarch';
    expect(parseIndexText(text).map((r) => r.name)).toEqual(['a', 'b']);
    expect(parseIndexText(`${text}\n\n`).map((r) => r.name)).toEqual(['a', 'b']);
  });

  it('rejects a line that is not a field, naming the line', () => {
    expect(() => parseIndexText('P:a\nV:1\ngarbage\n', 'idx')).toThrow(/line 3 of idx/);
  });

  it('rejects a stanza without a version', () => {
    try {
      parseIndexText('P:a\nA:x86_64\n\n');
      expect.unreachable();
    } catch (err) {
      expect((err as ApkgraphError).code).toBe('ERR_INDEX_FORMAT');
    }
  });

  it('rejects a size that is not a number', () => {
    expect(() => parseIndexText('P:a\nV:1\nS:big\n')).toThrow(/S: is not a whole number/);
  });
});

describe('formatIndexText', () => {
  it('writes text that parses back to the same records', () => {
    const records = parseIndexText(STANZA);
    expect(parseIndexText(formatIndexText(records))).toEqual(records);
  });

  it('writes the stanza in apk order, byte for byte', () => {
    expect(formatIndexText(parseIndexText(STANZA))).toBe(STANZA + '\n');
  });
});
