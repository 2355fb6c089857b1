import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { encodeTarHeader, TAR_END, tarPadding, type TarHeader } from './tar-encoder.js';
import { fileHeader } from './test-fixtures.js';

async function readBack(entries: Array<[TarHeader, Buffer]>) {
  const parts: Buffer[] = [];
  for (const [h, body] of entries) parts.push(encodeTarHeader(h), body, tarPadding(body.length));
  parts.push(TAR_END);
  const tar = extract();
  Readable.from([Buffer.concat(parts)]).pipe(tar);
  const out = [];
  for await (const e of tar) {
    const chunks: Buffer[] = [];
    for await (const c of e as AsyncIterable<Buffer>) chunks.push(c);
    out.push({ header: e.header, body: Buffer.concat(chunks).toString() });
  }
  return out;
}

const file = fileHeader;

describe('encodeTarHeader', () => {
  it('writes plain ustar entries that tar readers accept', async () => {
    const [e] = await readBack([
      [file('etc/hosts', { size: 5, mode: 0o4755, uid: 7 }), Buffer.from('hello')],
    ]);
    expect(e?.header).toMatchObject({
      name: 'etc/hosts',
      mode: 0o4755,
      uid: 7,
      size: 5,
      type: 'file',
    });
    expect(e?.body).toBe('hello');
    expect(e?.header.mtime.getTime()).toBe(1_700_000_000_000);
  });

  it('moves long and non-ASCII names, long link targets and big ids into PAX records', async () => {
    const long = `usr/share/${'x'.repeat(140)}/file`;
    const entries = await readBack([
      [file(long), Buffer.alloc(0)],
      [file('usr/share/naïve'), Buffer.alloc(0)],
      [file('l', { type: 'symlink', linkname: `/${'y'.repeat(120)}` }), Buffer.alloc(0)],
      [file('big', { uid: 3_000_000, gid: 4_000_000 }), Buffer.alloc(0)],
    ]);
    expect(entries.map((e) => e.header.name)).toEqual([long, 'usr/share/naïve', 'l', 'big']);
    expect(entries[2]?.header.linkname).toBe(`/${'y'.repeat(120)}`);
    expect(entries[3]?.header.pax).toMatchObject({ uid: '3000000', gid: '4000000' });
  });

  it('writes xattrs as SCHILY.xattr PAX records and marks directories with a slash', async () => {
    const [d, f] = await readBack([
      [file('var/lib', { type: 'directory', mode: 0o755 }), Buffer.alloc(0)],
      [file('bin/ping', { pax: [['SCHILY.xattr.user.note', Buffer.from('hi')]] }), Buffer.alloc(0)],
    ]);
    expect(d?.header.type).toBe('directory');
    expect(d?.header.name).toBe('var/lib/');
    expect(f?.header.pax).toMatchObject({ 'SCHILY.xattr.user.note': 'hi' });
  });

  it('gives the same bytes for the same header', () => {
    const h = file('a/b', { pax: [['SCHILY.xattr.k', Buffer.from([0, 255, 1])]] });
    expect(encodeTarHeader(h).equals(encodeTarHeader({ ...h }))).toBe(true);
  });
});
