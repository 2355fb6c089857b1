/**
 * Splitting concatenated gzip members.
 *
 * APK v2 files and APKINDEX.tar.gz are 2–3 gzip members back to back (signature, control or
 * index, data), and hashes and signatures cover the raw bytes of single members. Stock gunzip
 * runs straight through member boundaries, so the leading members are found here by parsing the
 * gzip header ourselves and inflating the raw deflate body with `inflateRawSync({info: true})`,
 * whose engine reports how many input bytes the deflate stream used. Those members are small
 * (a signature, a control tar); callers bound them with `maxOutputBytes`.
 */
import * as zlib from 'node:zlib';
import { ApkgraphError } from '../errors.js';

// zlib.crc32 arrived in Node 20.15; on older runtimes the trailer CRC is not checked (the
// signature and the index hashes still cover every byte).
const crc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/** The result of reading one member: its raw bytes' end and its decompressed content. */
export interface GzipMember {
  /** Offset of the member's first byte in the buffer. */
  start: number;
  /** Offset just past the member's trailer. */
  end: number;
  /** The decompressed bytes. */
  content: Buffer;
}

/**
 * Length of the gzip header at `off`, or `undefined` if `buf` ends inside it.
 * Throws ERR_GZIP if the bytes are not a gzip header.
 */
export function gzipHeaderLength(buf: Uint8Array, off: number, what: string): number | undefined {
  if (buf.length < off + 10) return undefined;
  if (buf[off] !== 0x1f || buf[off + 1] !== 0x8b || buf[off + 2] !== 8) {
    throw new ApkgraphError('ERR_GZIP', `no gzip member at byte ${off} of ${what}`, {
      hint: 'the file is not a gzip stream or is corrupt; download it again',
    });
  }
  const flags = buf[off + 3] ?? 0;
  let pos = off + 10;
  if (flags & FEXTRA) {
    if (buf.length < pos + 2) return undefined;
    pos += 2 + ((buf[pos] ?? 0) | ((buf[pos + 1] ?? 0) << 8));
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (flags & flag) {
      while (pos < buf.length && buf[pos] !== 0) pos++;
      if (pos >= buf.length) return undefined;
      pos++;
    }
  }
  if (flags & FHCRC) pos += 2;
  return pos > buf.length ? undefined : pos - off;
}

function isTruncation(err: unknown): boolean {
  return (
    err instanceof Error &&
    ((err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ||
      /unexpected end of file/i.test(err.message))
  );
}

/**
 * Reads the gzip member that starts at `off`. Returns `undefined` if `buf` ends before the
 * member does (the caller may wait for more bytes). Throws ERR_GZIP on corrupt data and
 * ERR_SIZE_LIMIT when the content would exceed `maxOutputBytes`.
 */
export function readGzipMember(
  buf: Buffer,
  off: number,
  what: string,
  maxOutputBytes: number,
): GzipMember | undefined {
  const headerLen = gzipHeaderLength(buf, off, what);
  if (headerLen === undefined) return undefined;
  const bodyStart = off + headerLen;
  let content: Buffer;
  let consumed: number;
  try {
    const opts: zlib.ZlibOptions & { info: true } = {
      info: true,
      maxOutputLength: maxOutputBytes,
    };
    const res = zlib.inflateRawSync(buf.subarray(bodyStart), opts) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
    content = res.buffer;
    consumed = res.engine.bytesWritten;
  } catch (err) {
    if (isTruncation(err)) return undefined;
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ApkgraphError(
        'ERR_SIZE_LIMIT',
        `gzip member at byte ${off} of ${what} inflates to more than ${maxOutputBytes} bytes`,
        { hint: 'raise the size limit if the file is trusted', cause: err },
      );
    }
    throw new ApkgraphError('ERR_GZIP', `corrupt gzip member at byte ${off} of ${what}`, {
      hint: 'download the file again',
      cause: err,
    });
  }
  const end = bodyStart + consumed + 8;
  if (end > buf.length) return undefined;
  // The trailer holds CRC-32 and size of the content; a mismatch means corruption.
  const crc = buf.readUInt32LE(end - 8);
  const isize = buf.readUInt32LE(end - 4);
  if (isize !== content.length % 2 ** 32 || (crc32 !== undefined && crc !== crc32(content))) {
    throw new ApkgraphError('ERR_GZIP', `gzip member at byte ${off} of ${what} fails its CRC`, {
      hint: 'the file is corrupt; download it again',
    });
  }
  return { start: off, end, content };
}

/** Deterministic gzip of one member: no file name, zero mtime. */
export function gzipMember(data: Uint8Array, level = zlib.constants.Z_DEFAULT_COMPRESSION): Buffer {
  return zlib.gzipSync(data, { level });
}
