/**
 * Streaming reader for the data tar of an .apk (the gzip data part, possibly several members).
 *
 * Each entry's body is streamed to the caller and hashed on the way; regular files and
 * symlinks carry a PAX `APK-TOOLS.checksum.SHA1` (hex SHA-1 of the content, or of the link
 * target) which is checked when the body has been read. Builders merge packages into layers
 * with this, so it never buffers a whole file.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import { ApkgraphError, throwIfAborted } from '../errors.js';

/** The kinds of entry a data tar holds. */
export type DataEntryType =
  'file' | 'directory' | 'symlink' | 'hardlink' | 'character-device' | 'block-device' | 'fifo';

/** One entry of a data tar, with the PAX records that came with it. */
export interface DataTarEntry {
  /** Relative path without a leading `./` or trailing `/`. */
  path: string;
  type: DataEntryType;
  /** Permission bits (including setuid/setgid/sticky). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** Target of a symlink or hard link. */
  linkname?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  /** Every PAX record (e.g. `APK-TOOLS.checksum.SHA1`, `SCHILY.xattr.*`). */
  pax: Record<string, string>;
  /** The hex SHA-1 the package claims for this entry, if any. */
  checksumSha1?: string;
}

/** Called for each entry; `body` streams the content and must be read or left alone. */
export type DataEntryHandler = (entry: DataTarEntry, body: Readable) => Promise<void> | void;

/** Options for {@link readDataTar}. */
export interface ReadDataTarOptions {
  /** Package name for messages. */
  source?: string;
  /** `throw` (default) stops at the first bad checksum; `collect` lists them in the result. */
  onChecksumMismatch?: 'throw' | 'collect';
  signal?: AbortSignal;
}

/** What {@link readDataTar} saw. */
export interface DataTarSummary {
  entries: number;
  /** Paths whose content did not match their checksum (only with `collect`). */
  badFiles: string[];
  /** Entries without a checksum record where one was expected. */
  uncheckedFiles: string[];
}

const TYPES: Record<string, DataEntryType> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'character-device',
  'block-device': 'block-device',
  fifo: 'fifo',
};

/** Checks a tar path is relative and stays inside the tree; returns it normalised. */
export function normalizeEntryPath(name: string, source: string): string {
  let p = name;
  while (p.startsWith('./')) p = p.slice(2);
  while (p.endsWith('/')) p = p.slice(0, -1);
  if (p.startsWith('/') || p.split('/').includes('..') || p.includes('\0')) {
    throw new ApkgraphError(
      'ERR_UNSAFE_PATH',
      `${source} has an unsafe path in its data: "${name}"`,
      {
        package: source,
        hint: 'the package tries to write outside the image root; do not install it',
      },
    );
  }
  return p;
}

/**
 * Reads a gzip-compressed data tar, calls `onEntry` for each entry in order, and checks the
 * per-file SHA-1 records while streaming.
 */
export async function readDataTar(
  dataTarGz: Readable | AsyncIterable<Uint8Array>,
  onEntry: DataEntryHandler,
  opts: ReadDataTarOptions = {},
): Promise<DataTarSummary> {
  const source = opts.source ?? 'package';
  const summary: DataTarSummary = { entries: 0, badFiles: [], uncheckedFiles: [] };
  const extract = tarStream.extract();
  const input = dataTarGz instanceof Readable ? dataTarGz : Readable.from(dataTarGz);
  const done = pipeline(input, createGunzip(), extract).catch((err: unknown) => {
    throw wrapTarError(err, source);
  });
  // Marked handled now; the outcome is awaited (and reported) below.
  void done.catch(() => undefined);
  try {
    for await (const raw of extract) {
      throwIfAborted(opts.signal);
      const h = raw.header;
      const type = TYPES[h.type ?? 'file'];
      if (!type) {
        raw.resume();
        continue;
      }
      const pax = (h.pax ?? {}) as Record<string, string>;
      const entry: DataTarEntry = {
        path: normalizeEntryPath(h.name, source),
        type,
        mode: (h.mode ?? 0) & 0o7777,
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        size: h.size ?? 0,
        mtime: h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0,
        ...(h.linkname ? { linkname: h.linkname } : {}),
        ...(h.uname ? { uname: h.uname } : {}),
        ...(h.gname ? { gname: h.gname } : {}),
        ...(h.devmajor ? { devmajor: h.devmajor } : {}),
        ...(h.devminor ? { devminor: h.devminor } : {}),
        pax,
        ...(pax['APK-TOOLS.checksum.SHA1'] ? { checksumSha1: pax['APK-TOOLS.checksum.SHA1'] } : {}),
      };
      summary.entries++;
      const hash = createHash('sha1');
      if (type === 'symlink') hash.update(entry.linkname ?? '');
      const body = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          cb(null, chunk);
        },
      });
      const pumping = pipeline(raw, body);
      void pumping.catch(() => undefined);
      await onEntry(entry, body);
      // Whatever the handler left unread is drained so the hash covers the whole body.
      body.resume();
      await pumping;
      if (type === 'file' || type === 'symlink') {
        if (entry.checksumSha1 === undefined) {
          if (type === 'file') summary.uncheckedFiles.push(entry.path);
        } else if (hash.digest('hex') !== entry.checksumSha1.toLowerCase()) {
          if (opts.onChecksumMismatch === 'collect') summary.badFiles.push(entry.path);
          else {
            throw new ApkgraphError(
              'ERR_APK_CHECKSUM',
              `${source}: content of ${entry.path} does not match its SHA-1 in the package`,
              {
                package: source,
                hint: 'the package was altered or is corrupt; remove it from the cache and download it again',
              },
            );
          }
        }
      }
    }
    await done;
  } catch (err) {
    input.destroy();
    await done.catch(() => undefined);
    throw err instanceof ApkgraphError ? err : wrapTarError(err, source);
  }
  return summary;
}

function wrapTarError(err: unknown, source: string): ApkgraphError {
  if (err instanceof ApkgraphError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const isGzip = code.startsWith('Z_') || /unexpected end of file|incorrect header/i.test(msg);
  return new ApkgraphError(
    isGzip ? 'ERR_GZIP' : 'ERR_TAR',
    `cannot read the data of ${source}: ${msg}`,
    {
      package: source,
      hint: 'the package is corrupt or truncated; download it again',
      cause: err,
    },
  );
}
