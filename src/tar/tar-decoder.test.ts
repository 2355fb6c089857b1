import { describe, expect, it } from 'vitest';
import { ApkgraphError } from '../errors.js';
import { encodeTarHeader, TAR_END, tarPadding, type TarHeader } from './tar-encoder.js';
import { fileHeader } from './test-fixtures.js';
import { readTar, type RawTarHeader } from './tar-decoder.js';

const file = fileHeader;

function tarOf(entries: Array<[TarHeader, string]>, end = true): Buffer {
  const parts: Buffer[] = [];
  for (const [h, body] of entries) {
    parts.push(
      encodeTarHeader({ ...h, size: body.length }),
      Buffer.from(body),
      tarPadding(body.length),
    );
  }
  if (end) parts.push(TAR_END);
  return Buffer.concat(parts);
}

/** Reads `tar` fed in chunks of `chunkBytes`, to cross block boundaries at odd places. */
async function read(tar: Buffer, chunkBytes = 7) {
  const chunks: Buffer[] = [];
  for (let i = 0; i < tar.length; i += chunkBytes) chunks.push(tar.subarray(i, i + chunkBytes));
  const out: Array<{ header: RawTarHeader; body: string }> = [];
  let body: Buffer[] = [];
  await readTar(
    chunks,
    {
      entry: (header) => {
        out.push({ header, body: '' });
        body = [];
      },
      data: (c) => void body.push(Buffer.from(c)),
      end: () => {
        (out.at(-1) as { body: string }).body = Buffer.concat(body).toString();
      },
    },
    'test.tar',
  );
  return out;
}

describe('readTar', () => {
  it('reads names, bodies, links and PAX names across chunk boundaries', async () => {
    const long = `usr/share/${'d'.repeat(150)}/f`;
    const entries = await read(
      tarOf([
        [file('etc', { type: 'directory', mode: 0o755 }), ''],
        [file('etc/motd', { mode: 0o4755, uid: 5 }), 'welcome\n'],
        [file(long), 'x'.repeat(1000)],
        [file('bin/sh', { type: 'symlink', linkname: 'busybox' }), ''],
      ]),
    );
    expect(entries.map((e) => [e.header.name, e.header.type, e.body.length])).toEqual([
      ['etc/', 'directory', 0],
      ['etc/motd', 'file', 8],
      [long, 'file', 1000],
      ['bin/sh', 'symlink', 0],
    ]);
    expect(entries[1]?.header).toMatchObject({ mode: 0o4755, uid: 5, mtime: 1_700_000_000 });
    expect(entries[3]?.header.linkname).toBe('busybox');
  });

  it('keeps binary xattr values byte for byte', async () => {
    const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0xff, 0xfe, 0x80]);
    const [e] = await read(
      tarOf([[file('bin/ping', { pax: [['SCHILY.xattr.security.capability', cap]] }), 'elf']]),
    );
    expect(e?.header.pax.get('SCHILY.xattr.security.capability')?.equals(cap)).toBe(true);
    expect(e?.body).toBe('elf');
  });

  it('fails with ERR_TAR when the data ends inside an entry', async () => {
    const tar = tarOf([[file('a'), 'x'.repeat(600)]], false).subarray(0, 700);
    const err = await read(tar).catch((e: unknown) => e);
    expect((err as ApkgraphError).code).toBe('ERR_TAR');
  });

  it('fails with ERR_TAR on a header checksum mismatch', async () => {
    const tar = tarOf([[file('a'), 'x']]);
    tar[0] = 'b'.charCodeAt(0);
    const err = await read(tar).catch((e: unknown) => e);
    expect((err as ApkgraphError).code).toBe('ERR_TAR');
  });

  it(
    'reads the name prefix of POSIX headers and ignores those bytes ' + 'in old GNU headers',
    async () => {
      const withPrefix = (magic: string): Buffer => {
        const h = encodeTarHeader(file('name'));
        h.write(magic, 257, 8, 'binary');
        h.write('usr/share', 345, 155, 'ascii');
        h.fill(0x20, 148, 156);
        let sum = 0;
        for (const b of h) sum += b;
        h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
        return Buffer.concat([h, TAR_END]);
      };
      const [posix] = await read(withPrefix('ustar\u000000'));
      const [gnu] = await read(withPrefix('ustar  \u0000'));
      expect(posix?.header.name).toBe('usr/share/name');
      expect(gnu?.header.name).toBe('name');
    },
  );
});
