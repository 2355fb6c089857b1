import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { ApkgraphError } from '../errors.js';
import { gunzipAhead, readDataTar, type DataTarEntry } from './data-tar.js';
import { encodeTarEntry, encodeTarHeader, TAR_END } from '../tar/tar-encoder.js';

const SHA1_HELLO = 'f572d396fae9206628714fb2ce00f72e94f2258f'; // sha1("hello\n")

function dataTar(entries: Parameters<typeof encodeTarEntry>[0][]): Readable {
  const parts = entries.flatMap((e) => encodeTarEntry(e));
  return Readable.from([gzipSync(Buffer.concat([...parts, TAR_END]))]);
}

describe('readDataTar', () => {
  it('streams entries with their metadata and checks file checksums', async () => {
    const seen: Array<[DataTarEntry, string]> = [];
    const chunks: Buffer[] = [];
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
      {
        entry: () => void chunks.splice(0),
        data: (c) => void chunks.push(Buffer.from(c)),
        end: (entry) => void seen.push([entry, Buffer.concat(chunks).toString()]),
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
    const err = await readDataTar(tar, {}, { source: 'p-1' }).catch((e: unknown) => e);
    expect((err as ApkgraphError).code).toBe('ERR_APK_CHECKSUM');
    expect((err as Error).message).toMatch(/p-1: content of etc\/hello does not match its SHA-1/);
  });

  it('collects mismatches when asked to', async () => {
    const tar = dataTar([
      { name: 'a', data: Buffer.from('HELLO\n'), pax: [['APK-TOOLS.checksum.SHA1', SHA1_HELLO]] },
      { name: 'b', data: Buffer.from('no checksum') },
    ]);
    const summary = await readDataTar(tar, {}, { onChecksumMismatch: 'collect' });
    expect(summary.badFiles).toEqual(['a']);
    expect(summary.uncheckedFiles).toEqual(['b']);
  });

  it('refuses paths that leave the root', async () => {
    const err = await readDataTar(
      dataTar([{ name: '../etc/passwd', data: Buffer.from('x') }]),
      {},
    ).catch((e: unknown) => e);
    expect((err as ApkgraphError).code).toBe('ERR_UNSAFE_PATH');
  });

  it('reports corrupt gzip data', async () => {
    const good = gzipSync(
      Buffer.concat([...encodeTarEntry({ name: 'a', data: Buffer.from('x') }), TAR_END]),
    );
    const err = await readDataTar(Readable.from([good.subarray(0, 30)]), {}).catch(
      (e: unknown) => e,
    );
    expect(['ERR_GZIP', 'ERR_TAR']).toContain((err as ApkgraphError).code);
  });

  it('hands binary xattr values over byte for byte', async () => {
    const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0xff, 0xfe, 0x80, 0x00]);
    const parts = encodeTarHeader({
      name: 'bin/ping',
      type: 'file',
      mode: 0o755,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: 0,
      pax: [['SCHILY.xattr.security.capability', cap]],
    });
    const seen: DataTarEntry[] = [];
    await readDataTar(Readable.from([gzipSync(Buffer.concat([parts, TAR_END]))]), {
      entry: (e) => void seen.push(e),
    });
    expect(seen[0]?.pax.get('SCHILY.xattr.security.capability')?.equals(cap)).toBe(true);
  });
});

describe('gunzipAhead', () => {
  const withFile = async (data: Buffer, fn: (path: string) => Promise<void>): Promise<void> => {
    const dir = await mkdtemp(join(tmpdir(), 'apkgraph-ahead-'));
    try {
      await writeFile(join(dir, 'data.tar.gz'), data);
      await fn(join(dir, 'data.tar.gz'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const body = Buffer.alloc(2_000_000, 'apk ');
  const tarGz = gzipSync(
    Buffer.concat([...encodeTarEntry({ name: 'usr/share/big', data: body }), TAR_END]),
  );

  it('decompresses before anyone reads, and the reader sees the same entries', async () => {
    await withFile(tarGz, async (path) => {
      const ahead = gunzipAhead(path, 4 << 20);
      await sleep(200);
      // The whole tar (header, body, padding, end) is ready before the first read.
      expect(ahead.readableLength).toBeGreaterThan(body.length);
      let size = 0;
      const summary = await readDataTar(
        ahead,
        { data: (c) => void (size += c.length) },
        { decompressed: true },
      );
      expect(summary.entries).toBe(1);
      expect(size).toBe(body.length);
    });
  });

  it('holds no more than asked for', async () => {
    await withFile(tarGz, async (path) => {
      const ahead = gunzipAhead(path, 64 * 1024);
      await sleep(200);
      expect(ahead.readableLength).toBeLessThan(body.length / 2);
      ahead.destroy();
    });
  });

  it('keeps a failure that comes before anyone reads, for the reader', async () => {
    await withFile(tarGz.subarray(0, 200), async (path) => {
      const crashes: unknown[] = [];
      const onCrash = (err: unknown): void => void crashes.push(err);
      process.on('uncaughtException', onCrash);
      try {
        const damaged = gunzipAhead(path, 1 << 20);
        const missing = gunzipAhead(`${path}.gone`, 1 << 20);
        // Both fail long before this; neither may take the process down meanwhile.
        await sleep(200);
        expect(crashes).toEqual([]);
        const a = await readDataTar(damaged, {}, { decompressed: true }).catch((e: unknown) => e);
        const b = await readDataTar(missing, {}, { decompressed: true }).catch((e: unknown) => e);
        expect((a as ApkgraphError).code).toBe('ERR_GZIP');
        expect((b as ApkgraphError).code).toBe('ERR_IO');
      } finally {
        process.off('uncaughtException', onCrash);
      }
    });
  });

  it('reports damaged gzip data and a missing file when read', async () => {
    await withFile(tarGz.subarray(0, 200), async (path) => {
      const err = await readDataTar(gunzipAhead(path, 1 << 20), {}, { decompressed: true }).catch(
        (e: unknown) => e,
      );
      expect((err as ApkgraphError).code).toBe('ERR_GZIP');
      const gone = await readDataTar(
        gunzipAhead(`${path}.gone`, 1 << 20),
        {},
        {
          decompressed: true,
        },
      ).catch((e: unknown) => e);
      expect((gone as ApkgraphError).code).toBe('ERR_IO');
    });
  });
});
