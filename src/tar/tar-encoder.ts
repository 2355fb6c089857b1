/**
 * The one tar encoder: deterministic POSIX ustar plus PAX extended headers, for image layers,
 * layout archives and the segments of APK files and APKINDEXes.
 *
 * Output must be byte-identical across runs, so every header field is chosen here rather than
 * taken from the host: user and group names are empty unless given (ids are what containers
 * use; apk packages name `root`, which apk-tools maps back to ids), times are whole seconds, and
 * PAX records are written only when ustar cannot hold a value (long or non-ASCII names, large ids
 * or sizes) or when the entry carries xattrs. PAX values are raw bytes, so binary xattrs such as
 * `security.capability` survive unchanged.
 */

/** The kinds of tar entries apkgraph writes. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'char' | 'block' | 'fifo';

/** One tar header, as apkgraph writes it. */
export interface TarHeader {
  /** Path inside the archive, relative, without a leading `./` or a trailing slash. */
  name: string;
  type: TarEntryType;
  /** Permission bits including setuid/setgid/sticky (`mode & 0o7777`). */
  mode: number;
  uid: number;
  gid: number;
  /** Body size in bytes; 0 for anything that is not a regular file. */
  size: number;
  /** Modification time, whole seconds since the epoch. */
  mtime: number;
  /** Target of a symlink or hardlink. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** User and group names; empty when not given. */
  uname?: string;
  gname?: string;
  /** PAX records to add, e.g. `SCHILY.xattr.security.capability`; values are raw bytes. */
  pax?: ReadonlyArray<readonly [key: string, value: Buffer]>;
}

const TYPE_FLAGS: Record<TarEntryType, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  char: '3',
  block: '4',
  directory: '5',
  fifo: '6',
};

const BLOCK = 512;
const MAX_OCTAL_8 = 0o7777777;
const MAX_OCTAL_12 = 0o77777777777;

/** Two zero blocks: the end-of-archive marker. */
export const TAR_END = Buffer.alloc(BLOCK * 2);

/** Zero bytes that pad a body of `size` bytes to a whole block. */
export function tarPadding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}

function isPlainAscii(s: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /^[\x01-\x7f]*$/.test(s);
}

function writeOctal(buf: Buffer, value: number, offset: number, length: number): void {
  // length-1 digits, zero padded, then a NUL, as GNU and BSD tar write them.
  const text = value.toString(8).padStart(length - 1, '0');
  buf.write(text, offset, length - 1, 'ascii');
  buf[offset + length - 1] = 0;
}

/** One PAX record: `<len> <key>=<value>\n`, where len counts the whole record. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'ascii'), body]);
}

function ustarBlock(h: TarHeader, name: string, linkname: string, typeflag: string): Buffer {
  const buf = Buffer.alloc(BLOCK);
  buf.write(name, 0, 100, 'utf8');
  writeOctal(buf, h.mode & 0o7777, 100, 8);
  writeOctal(buf, Math.min(h.uid, MAX_OCTAL_8), 108, 8);
  writeOctal(buf, Math.min(h.gid, MAX_OCTAL_8), 116, 8);
  writeOctal(buf, Math.min(h.size, MAX_OCTAL_12), 124, 12);
  writeOctal(buf, Math.max(0, Math.min(h.mtime, MAX_OCTAL_12)), 136, 12);
  buf.write(typeflag, 156, 1, 'ascii');
  buf.write(linkname, 157, 100, 'utf8');
  buf.write('ustar\u000000', 257, 8, 'ascii');
  buf.write(h.uname ?? '', 265, 32, 'utf8');
  buf.write(h.gname ?? '', 297, 32, 'utf8');
  writeOctal(buf, h.devmajor ?? 0, 329, 8);
  writeOctal(buf, h.devminor ?? 0, 337, 8);
  // The checksum is computed with its own field read as eight spaces.
  buf.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of buf) sum += byte;
  buf.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 8, 'ascii');
  return buf;
}

/**
 * Encodes the header blocks for one entry (a PAX header first when needed). The caller writes
 * the body and {@link tarPadding} after it.
 */
export function encodeTarHeader(h: TarHeader): Buffer {
  const name = h.type === 'directory' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const linkname = h.linkname ?? '';
  const records: Buffer[] = [];

  const nameFits = name.length <= 100 && isPlainAscii(name);
  const linkFits = linkname.length <= 100 && isPlainAscii(linkname);
  if (!nameFits) records.push(paxRecord('path', Buffer.from(name, 'utf8')));
  if (!linkFits) records.push(paxRecord('linkpath', Buffer.from(linkname, 'utf8')));
  if (h.uid > MAX_OCTAL_8) records.push(paxRecord('uid', Buffer.from(String(h.uid))));
  if (h.gid > MAX_OCTAL_8) records.push(paxRecord('gid', Buffer.from(String(h.gid))));
  if (h.size > MAX_OCTAL_12) records.push(paxRecord('size', Buffer.from(String(h.size))));
  for (const [key, value] of h.pax ?? []) records.push(paxRecord(key, value));

  const main = ustarBlock(
    h,
    nameFits ? name : asciiStub(name),
    linkFits ? linkname : asciiStub(linkname),
    TYPE_FLAGS[h.type],
  );
  if (records.length === 0) return main;

  const paxBody = Buffer.concat(records);
  const paxHeader = ustarBlock(
    { ...h, size: paxBody.length, uid: 0, gid: 0, devmajor: 0, devminor: 0, uname: '', gname: '' },
    asciiStub(`PaxHeaders/${name}`),
    '',
    'x',
  );
  return Buffer.concat([paxHeader, paxBody, tarPadding(paxBody.length), main]);
}

/** A deterministic ASCII stand-in for a name that only fits in a PAX record. */
function asciiStub(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[^\x01-\x7f]/g, '_').slice(0, 99);
}

/** An entry of a small tar built whole (APK segments, APKINDEX), in tar's own terms. */
export interface TarEntrySpec {
  name: string;
  /** The typeflag character: `0` file (default), `1` hard link, `2` symlink, `5` directory… */
  typeflag?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  /** Default `root`, as apk-tools writes them. */
  uname?: string;
  gname?: string;
  /** Only for regular files. */
  data?: Uint8Array;
  /** The size to record when the body is written separately (no `data`). */
  size?: number;
  /** PAX records written in an `x` entry in front of this one. */
  pax?: ReadonlyArray<readonly [key: string, value: string]>;
}

const FLAG_TYPES = Object.fromEntries(
  Object.entries(TYPE_FLAGS).map(([type, flag]) => [flag, type as TarEntryType]),
);

/** The bytes of one whole entry: its header blocks, then the padded data. */
export function encodeTarEntry(spec: TarEntrySpec): Buffer[] {
  const type = FLAG_TYPES[spec.typeflag ?? '0'];
  if (type === undefined) throw new RangeError(`unsupported tar typeflag "${spec.typeflag}"`);
  const data = spec.data ?? new Uint8Array(0);
  const size = spec.data ? data.length : (spec.size ?? 0);
  const header: TarHeader = {
    name: spec.name,
    type,
    mode: spec.mode ?? 0o644,
    uid: spec.uid ?? 0,
    gid: spec.gid ?? 0,
    size,
    mtime: spec.mtime ?? 0,
    uname: spec.uname ?? 'root',
    gname: spec.gname ?? 'root',
    pax: (spec.pax ?? []).map(([key, value]) => [key, Buffer.from(value, 'utf8')] as const),
  };
  if (spec.linkname !== undefined) header.linkname = spec.linkname;
  const out = [encodeTarHeader(header)];
  if (data.length > 0) {
    out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength), tarPadding(data.length));
  }
  return out;
}
