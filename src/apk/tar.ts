/**
 * A small, synchronous tar codec for the parts of APK files that are read or written whole:
 * signature and control segments, APKINDEX archives, and the data tars that the APK writer
 * builds. Large data tars are read as streams with tar-stream instead (see data-tar.ts).
 *
 * apk writes POSIX ustar headers with PAX extended records (`x`) in front of entries that need
 * them; old packages also use GNU long names (`L`, `K`). Segments before the data segment carry
 * no end-of-archive blocks, so the reader accepts a buffer that simply ends after an entry.
 */
import { ApkgraphError } from '../errors.js';

const BLOCK = 512;

/** One entry of an in-memory tar. */
export interface TarEntry {
  name: string;
  /** The typeflag character: `0` file, `1` hard link, `2` symlink, `5` directory, … */
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
  data: Buffer;
  /** PAX records that applied to this entry, in file order. */
  pax: Record<string, string>;
}

function readString(buf: Buffer, off: number, len: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString('utf8', off, end === -1 || end > off + len ? off + len : end);
}

function readNumber(buf: Buffer, off: number, len: number): number {
  // GNU base-256: the high bit of the first byte is set.
  if ((buf[off] ?? 0) & 0x80) {
    let v = (buf[off] ?? 0) & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + (buf[off + i] ?? 0);
    return v;
  }
  const s = readString(buf, off, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/** Parses PAX records (`<len> key=value\n`). */
export function parsePaxRecords(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(data.toString('ascii', pos, space), 10);
    if (!(len > 0)) break;
    const rec = data.toString('utf8', space + 1, pos + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

function isZeroBlock(buf: Buffer, off: number): boolean {
  for (let i = off; i < off + BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Reads every entry of a tar held in memory. `what` names the input in error messages.
 * Stops at the end-of-archive block or at the end of the buffer.
 */
export function parseTar(buf: Buffer, what: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let pos = 0;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  while (pos + BLOCK <= buf.length) {
    if (isZeroBlock(buf, pos)) break;
    const stored = readNumber(buf, pos + 148, 8);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (buf[pos + i] ?? 0);
    if (sum !== stored) {
      throw new ApkgraphError('ERR_TAR', `bad tar header checksum at byte ${pos} of ${what}`, {
        hint: 'the file is corrupt; download it again',
      });
    }
    const size = readNumber(buf, pos + 124, 12);
    const typeflag = String.fromCharCode(buf[pos + 156] || 0x30);
    const dataStart = pos + BLOCK;
    if (dataStart + size > buf.length) {
      throw new ApkgraphError('ERR_TAR', `tar entry at byte ${pos} of ${what} is cut short`, {
        hint: 'the file is truncated; download it again',
      });
    }
    const data = buf.subarray(dataStart, dataStart + size);
    pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'x') {
      pax = { ...pax, ...parsePaxRecords(data) };
      continue;
    }
    if (typeflag === 'g') continue;
    if (typeflag === 'L' || typeflag === 'K') {
      const s = data.toString('utf8').replace(/\0+$/, '');
      if (typeflag === 'L') longName = s;
      else longLink = s;
      continue;
    }
    const h = dataStart - BLOCK;
    // Only POSIX ustar headers have a name prefix; old GNU headers use those bytes otherwise.
    const isPosix = buf.toString('binary', h + 257, h + 263) === 'ustar\0';
    const prefix = isPosix ? readString(buf, h + 345, 155) : '';
    const baseName = readString(buf, h, 100);
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
    const linkname = pax.linkpath ?? longLink ?? readString(buf, h + 157, 100);
    entries.push({
      name,
      typeflag,
      mode: readNumber(buf, h + 100, 8),
      uid: readNumber(buf, h + 108, 8),
      gid: readNumber(buf, h + 116, 8),
      mtime: readNumber(buf, h + 136, 12),
      linkname,
      uname: readString(buf, h + 265, 32),
      gname: readString(buf, h + 297, 32),
      data,
      pax,
    });
    pax = {};
    longName = undefined;
    longLink = undefined;
  }
  return entries;
}

/** What {@link encodeTarEntry} writes. */
export interface TarEntrySpec {
  name: string;
  typeflag?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  uname?: string;
  gname?: string;
  /** Only for regular files. */
  data?: Uint8Array;
  /** The size to record when the body is written separately (no `data`). */
  size?: number;
  /** PAX records written in an `x` entry in front of this one. */
  pax?: Array<[key: string, value: string]>;
}

function writeString(buf: Buffer, off: number, len: number, s: string): void {
  buf.write(s, off, len, 'utf8');
}

function writeOctal(buf: Buffer, off: number, len: number, n: number): void {
  buf.write(
    `${Math.trunc(n)
      .toString(8)
      .padStart(len - 1, '0')}\0`,
    off,
    len,
    'ascii',
  );
}

function header(spec: TarEntrySpec, name: string, size: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, spec.mode ?? 0o644);
  writeOctal(h, 108, 8, spec.uid ?? 0);
  writeOctal(h, 116, 8, spec.gid ?? 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, spec.mtime ?? 0);
  h.fill(0x20, 148, 156);
  h.write(spec.typeflag ?? '0', 156, 1, 'ascii');
  writeString(h, 157, 100, spec.linkname ?? '');
  h.write('ustar\x0000', 257, 8, 'binary');
  writeString(h, 265, 32, spec.uname ?? 'root');
  writeString(h, 297, 32, spec.gname ?? 'root');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i] ?? 0;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

function paxRecord(key: string, value: string): string {
  // The length prefix counts itself, so grow it until it is stable.
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  if (String(len).length !== String(len - bodyLen).length) len = bodyLen + String(len).length;
  return `${len}${body}`;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/**
 * The bytes of one tar entry: an optional PAX header, the ustar header and the padded data.
 * Names or link targets longer than 100 bytes go into PAX `path` / `linkpath` records.
 */
export function encodeTarEntry(spec: TarEntrySpec): Buffer[] {
  const out: Buffer[] = [];
  const records = [...(spec.pax ?? [])];
  let name = spec.name;
  if (Buffer.byteLength(name) > 100) {
    records.push(['path', name]);
    name = name.slice(0, 99);
  }
  const linkname = spec.linkname ?? '';
  const headerSpec = { ...spec };
  if (Buffer.byteLength(linkname) > 100) {
    records.push(['linkpath', linkname]);
    headerSpec.linkname = linkname.slice(0, 99);
  }
  if (records.length > 0) {
    const body = Buffer.from(records.map(([k, v]) => paxRecord(k, v)).join(''), 'utf8');
    const paxName = `PaxHeaders/${name.split('/').pop() ?? name}`.slice(0, 99);
    out.push(header({ name: paxName, typeflag: 'x', mtime: spec.mtime }, paxName, body.length));
    out.push(body, Buffer.alloc(padding(body.length)));
  }
  const data = spec.data ?? new Uint8Array(0);
  out.push(header(headerSpec, name, spec.data ? data.length : (spec.size ?? 0)));
  if (data.length > 0) {
    out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    out.push(Buffer.alloc(padding(data.length)));
  }
  return out;
}

/** The two zero blocks that end a tar archive. */
export function tarEndBlocks(): Buffer {
  return Buffer.alloc(2 * BLOCK);
}
