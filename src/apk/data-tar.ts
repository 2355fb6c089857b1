/**
 * Streaming reader for the data tar of an .apk (the gzip data part, possibly several members),
 * shared by `apk inspect` and the image builder.
 *
 * Each entry's body is streamed to the caller and hashed on the way; regular files and
 * symlinks carry a PAX `APK-TOOLS.checksum.SHA1` (hex SHA-1 of the content, or of the link
 * target) which is checked here, once the body has been read and before the caller hears that
 * the entry is complete. PAX values stay raw bytes, so binary xattrs reach the caller intact.
 * Nothing is buffered beyond one decompressed chunk, unless the caller asks to decompress ahead.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Readable, type TransformOptions } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { ApkgraphError, throwIfAborted } from '../errors.js';
import { normalizeEntryPath } from '../tar/entry-path.js';
import { readTar, type RawTarHeader } from '../tar/tar-decoder.js';
import type { TarEntryType, TarHeader } from '../tar/tar-encoder.js';

/** Output piece size of package decompression: larger pieces mean fewer thread-pool round trips. */
const INFLATE_CHUNK_BYTES = 256 * 1024;

/**
 * Starts decompressing the gzip file at `path` at once, on libuv's thread pool, keeping up to
 * `aheadBytes` of tar ready before anyone reads it. Reading the result with
 * `readDataTar(…, { decompressed: true })` then overlaps the decompression of the next
 * packages with the handling of the current one. Errors (a missing file, damaged gzip data)
 * come out of the stream when it is read.
 */
export function gunzipAhead(path: string, aheadBytes: number): Readable {
  // zlib streams take the Transform options too, though @types/node lists only zlib's own.
  const options: ZlibOptions & TransformOptions = {
    chunkSize: INFLATE_CHUNK_BYTES,
    readableHighWaterMark: aheadBytes,
  };
  const inflate = createGunzip(options);
  // Nobody may be reading yet when the file turns out missing or damaged. Without a listener
  // the 'error' event would be thrown as an uncaught exception; the stream keeps the error
  // and hands it to the reader when it gets there.
  inflate.on('error', () => {});
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  file.on('error', (err) => inflate.destroy(err));
  inflate.on('close', () => file.destroy());
  file.pipe(inflate);
  return inflate;
}

/** The PAX record in which apk stores an entry's SHA-1. */
export const APK_SHA1_RECORD = 'APK-TOOLS.checksum.SHA1';

/** One entry of a data tar: the tar header fields, with the path made safe and PAX as bytes. */
export interface DataTarEntry extends Omit<TarHeader, 'name' | 'pax'> {
  /** Root-relative path without `./`, `//` or a trailing `/`; '' for the root itself. */
  path: string;
  /** Every PAX record (e.g. `APK-TOOLS.checksum.SHA1`, `SCHILY.xattr.*`), values as raw bytes. */
  pax: Map<string, Buffer>;
  /** The lower-case hex SHA-1 the package claims for this entry, if any. */
  checksumSha1?: string;
}

/** Callbacks of {@link readDataTar}; each may return a promise to hold the reader. */
export interface DataTarHandlers {
  /** An entry starts. */
  entry?(entry: DataTarEntry): Promise<void> | void;
  /** A piece of the current entry's body, in order. */
  data?(chunk: Buffer): Promise<void> | void;
  /**
   * The current entry is complete and its checksum was checked. `sha1` is the hex SHA-1 of a
   * file's content or a symlink's target, undefined for other kinds.
   */
  end?(entry: DataTarEntry, sha1: string | undefined): Promise<void> | void;
}

/** Options for {@link readDataTar}. */
export interface ReadDataTarOptions {
  /** Package name for messages. */
  source?: string;
  /** `throw` (default) stops at the first bad checksum; `collect` lists them in the result. */
  onChecksumMismatch?: 'throw' | 'collect';
  /** The input is the tar itself, already decompressed (see {@link gunzipAhead}). */
  decompressed?: boolean;
  signal?: AbortSignal;
}

/** What {@link readDataTar} saw. */
export interface DataTarSummary {
  entries: number;
  /** Paths whose content did not match their checksum (only with `collect`). */
  badFiles: string[];
  /** Regular files without a checksum record. */
  uncheckedFiles: string[];
}

function toEntry(h: RawTarHeader, type: TarEntryType, source: string): DataTarEntry {
  const declared = h.pax.get(APK_SHA1_RECORD)?.toString('ascii').trim().toLowerCase();
  return {
    path: normalizeEntryPath(h.name, source),
    type,
    mode: h.mode & 0o7777,
    uid: h.uid,
    gid: h.gid,
    size: h.size,
    mtime: h.mtime,
    ...(h.linkname ? { linkname: h.linkname } : {}),
    ...(h.uname ? { uname: h.uname } : {}),
    ...(h.gname ? { gname: h.gname } : {}),
    ...(type === 'char' || type === 'block' ? { devmajor: h.devmajor, devminor: h.devminor } : {}),
    pax: h.pax,
    ...(declared ? { checksumSha1: declared } : {}),
  };
}

/** A failure of a caller's handler, passed on unchanged rather than blamed on the data. */
class HandlerFailure extends Error {
  constructor(readonly error: unknown) {
    super('a data-tar handler failed');
  }
}

async function call(fn: () => Promise<void> | void): Promise<void> {
  try {
    await fn();
  } catch (err) {
    throw new HandlerFailure(err);
  }
}

/**
 * Reads a gzip-compressed data tar (or the tar itself with `decompressed`), calls `handlers`
 * for each entry in order, and checks the
 * per-file SHA-1 records while streaming. Errors of the handlers come back unchanged; damaged
 * input gives ERR_GZIP or ERR_TAR, a read failure ERR_IO.
 */
export async function readDataTar(
  dataTarGz: Readable | AsyncIterable<Uint8Array>,
  handlers: DataTarHandlers,
  opts: ReadDataTarOptions = {},
): Promise<DataTarSummary> {
  const source = opts.source ?? 'package';
  const summary: DataTarSummary = { entries: 0, badFiles: [], uncheckedFiles: [] };
  const input = dataTarGz instanceof Readable ? dataTarGz : Readable.from(dataTarGz);
  let tar: Readable = input;
  if (!opts.decompressed) {
    const inflate = createGunzip({ chunkSize: INFLATE_CHUNK_BYTES });
    input.on('error', (err) => inflate.destroy(err));
    input.pipe(inflate);
    tar = inflate;
  }

  let current: DataTarEntry | undefined;
  let hash: Hash | undefined;
  const finishEntry = async (entry: DataTarEntry): Promise<void> => {
    const sha1 = hash?.digest('hex');
    if (entry.type === 'file' && entry.checksumSha1 === undefined) {
      summary.uncheckedFiles.push(entry.path);
    }
    if (sha1 !== undefined && entry.checksumSha1 !== undefined && sha1 !== entry.checksumSha1) {
      if (opts.onChecksumMismatch !== 'collect') {
        throw new ApkgraphError(
          'ERR_APK_CHECKSUM',
          `${source}: content of ${entry.path} does not match its SHA-1 in the package ` +
            `(has ${sha1}, declares ${entry.checksumSha1})`,
          {
            package: source,
            hint:
              'the package was altered or is corrupt; ' +
              'remove it from the cache and download it again',
          },
        );
      }
      summary.badFiles.push(entry.path);
    }
    await call(() => handlers.end?.(entry, sha1));
  };

  try {
    await readTar(
      tar as AsyncIterable<Buffer>,
      {
        entry: async (header) => {
          throwIfAborted(opts.signal);
          current = header.type === undefined ? undefined : toEntry(header, header.type, source);
          if (!current) return;
          summary.entries++;
          hash =
            current.type === 'file' || current.type === 'symlink' ? createHash('sha1') : undefined;
          if (current.type === 'symlink') hash?.update(current.linkname ?? '');
          const entry = current;
          await call(() => handlers.entry?.(entry));
        },
        data: async (chunk) => {
          if (!current) return;
          hash?.update(chunk);
          await call(() => handlers.data?.(chunk));
        },
        end: async () => {
          if (!current) return;
          const entry = current;
          current = undefined;
          await finishEntry(entry);
        },
      },
      `the data of ${source}`,
    );
  } catch (err) {
    input.destroy();
    tar.destroy();
    if (err instanceof HandlerFailure) throw err.error;
    throw wrapTarError(err, source);
  }
  return summary;
}

function wrapTarError(err: unknown, source: string): ApkgraphError {
  if (err instanceof ApkgraphError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const { code, syscall } = err as NodeJS.ErrnoException;
  const isGzip = code?.startsWith('Z_') || /unexpected end of file|incorrect header/i.test(msg);
  const isIo = !isGzip && syscall !== undefined;
  return new ApkgraphError(
    isGzip ? 'ERR_GZIP' : isIo ? 'ERR_IO' : 'ERR_TAR',
    `cannot read the data of ${source}: ${msg}`,
    {
      package: source,
      hint: isIo
        ? 'check that the package file exists and is readable'
        : 'the package is corrupt or truncated; download it again',
      cause: err,
    },
  );
}
