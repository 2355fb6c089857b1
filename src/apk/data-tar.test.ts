import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ApkgraphError } from '../errors.js';
import { readDataTar, type DataTarEntry } from './data-tar.js';
import { encodeTarEntry, tarEndBlocks } from './tar.js';

const SHA1_HELLO = 'f572d396fae9206628714fb2ce00f72e94f2258f'; // sha1("hello\n")

function dataTar(entries: Parameters<typeof encodeTarEntry>[0][]): Readable {
  const parts = entries.flatMap((e) => encodeTarEntry(e));
  return Readable.from([gzipSync(Buffer.concat([...parts, tarEndBlocks()]))]);
}

describe('readDataTar', () => {
  it('streams entries with their metadata and checks file checksums', async () => {
    const seen: Array<[DataTarEntry, string]> = [];
    const summary = await readDataTar(
      dataTar([
        { name: 'etc/', typeflag: '5', mode: 0o755 },
        {
          name: 'etc/hello',
          data: Buffer.from('hello\n'),
          mode: 0o600,
          uid: 1,
          gid: 2,
          pax: [['APK-TOOLS.checksum.SHA1', SHA1_HELLO]],
        },
        {
          name: 'etc/link',
          typeflag: '2',
          linkname: 'hello',
          pax: [['APK-TOOLS.checksum.SHA1', 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d']],
        },
      ]),
      async (entry, body) => {
        const chunks: Buffer[] = [];
        for await (const c of body) chunks.push(c as Buffer);
        seen.push([entry, Buffer.concat(chunks).toString()]);
      },
    );
    expect(summary).toEqual({ entries: 3, badFiles: [], uncheckedFiles: [] });
    expect(seen.map(([e, body]) => [e.path, e.type, body])).toEqual([
      ['etc', 'directory', ''],
      ['etc/hello', 'file', 'hello\n'],
      ['etc/link', 'symlink', ''],
    ]);
    expect(seen[1]?.[0]).toMatchObject({
      mode: 0o600,
      uid: 1,
      gid: 2,
      size: 6,
      checksumSha1: SHA1_HELLO,
    });
  });

  it('throws naming the file whose content does not match its checksum', async () => {
    const tar = dataTar([
      {
        name: 'etc/hello',
        data: Buffer.from('HELLO\n'),
        pax: [['APK-TOOLS.checksum.SHA1', SHA1_HELLO]],
      },
    ]);
    // The handler leaves the body unread: the reader drains and hashes it anyway.
    const err = await readDataTar(tar, () => undefined, { source: 'p-1' }).catch((e: unknown) => e);
    expect((err as ApkgraphError).code).toBe('ERR_APK_CHECKSUM');
    expect((err as Error).message).toMatch(/p-1: content of etc\/hello does not match its SHA-1/);
  });

  it('collects mismatches when asked to', async () => {
    const tar = dataTar([
      { name: 'a', data: Buffer.from('HELLO\n'), pax: [['APK-TOOLS.checksum.SHA1', SHA1_HELLO]] },
      { name: 'b', data: Buffer.from('no checksum') },
    ]);
    const summary = await readDataTar(tar, () => undefined, { onChecksumMismatch: 'collect' });
    expect(summary.badFiles).toEqual(['a']);
    expect(summary.uncheckedFiles).toEqual(['b']);
  });

  it('refuses paths that leave the root', async () => {
    const err = await readDataTar(
      dataTar([{ name: '../etc/passwd', data: Buffer.from('x') }]),
      () => undefined,
    ).catch((e: unknown) => e);
    expect((err as ApkgraphError).code).toBe('ERR_UNSAFE_PATH');
  });

  it('reports corrupt gzip data', async () => {
    const good = gzipSync(
      Buffer.concat([...encodeTarEntry({ name: 'a', data: Buffer.from('x') }), tarEndBlocks()]),
    );
    const err = await readDataTar(Readable.from([good.subarray(0, 30)]), () => undefined).catch(
      (e: unknown) => e,
    );
    expect(['ERR_GZIP', 'ERR_TAR']).toContain((err as ApkgraphError).code);
  });
});
