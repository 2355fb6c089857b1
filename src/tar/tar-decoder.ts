/**
 * The one tar reader: a push decoder that keeps PAX values as raw bytes, with a streaming
 * front end ({@link readTar}) for package data and an in-memory one ({@link parseTar}) for the
 * small segments read whole (signature, control, APKINDEX).
 *
 * General-purpose readers decode PAX values as UTF-8, which mangles binary xattrs such as
 * `security.capability` (a little-endian struct); layers must carry them byte for byte. The
 * decoder understands what apk writes: ustar headers with the prefix field, PAX `x`/`g` records
 * and GNU `L`/`K` long names. Bodies are passed on in the chunks they arrive in, so memory does
 * not grow with file size. Segments before an APK's data segment carry no end-of-archive blocks,
 * so input that simply ends between two entries is accepted.
 */
import { ApkgraphError } from '../errors.js';
import type { TarEntryType } from './tar-encoder.js';

/** One entry header, with PAX and GNU long-name overrides applied. */
export interface RawTarHeader {
  name: string;
  /** `undefined` for entry kinds apkgraph does not install (sockets, vendor types). */
  type: TarEntryType | undefined;
  /** The typeflag character as stored (`'0'` for an old NUL flag). */
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (whole). */
  mtime: number;
  linkname: string;
  uname: string;
  gname: string;
  devmajor: number;
  devminor: number;
  /** PAX records that applied to this entry (global ones included), values as raw bytes. */
  pax: Map<string, Buffer>;
}

/** What {@link TarDecoder.push} reports, in archive order. */
export type TarEvent =
  { kind: 'entry'; header: RawTarHeader } | { kind: 'data'; chunk: Buffer } | { kind: 'end' };

const BLOCK = 512;

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

function bad(message: string): ApkgraphError {
  return new ApkgraphError('ERR_TAR', message, {
    hint:
      'the file is corrupt or truncated; download it again ' +
      '(`apkgraph cache verify --fix` removes damaged cache entries)',
  });
}

function str(buf: Buffer, off: number, len: number): string {
  return field(buf, off, len).toString('utf8');
}

/** The bytes of a NUL-terminated header field. */
function field(buf: Buffer, off: number, len: number): Buffer {
  const end = buf.indexOf(0, off);
  return buf.subarray(off, end === -1 || end > off + len ? off + len : end);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * An entry or link name as text. Names are strings from here on, so bytes that are not UTF-8
 * would be replaced by U+FFFD (and two names could become one): refuse them instead.
 */
function nameText(bytes: Buffer, what: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    const shown = [...bytes]
      .map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16)}`))
      .join('');
    throw new ApkgraphError('ERR_UNSAFE_PATH', `entry name "${shown}" in ${what} is not UTF-8`, {
      hint: 'apkgraph keeps file names as UTF-8; rebuild the package with UTF-8 names',
    });
  }
}

function num(buf: Buffer, off: number, len: number): number {
  const first = buf[off] ?? 0;
  if (first & 0x80) {
    // GNU base-256 for values that do not fit in octal.
    let v = first & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + (buf[off + i] ?? 0);
    return v;
  }
  const s = str(buf, off, len).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

/** Parses PAX records (`<len> <key>=<value>\n`) into `into`, keeping values as bytes. */
export function parsePaxRaw(data: Buffer, into: Map<string, Buffer>, what: string): void {
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const len = space === -1 ? NaN : parseInt(data.toString('ascii', pos, space), 10);
    if (!(len > 0) || pos + len > data.length) throw bad(`malformed PAX record in ${what}`);
    const eq = data.indexOf(0x3d, space + 1);
    if (eq === -1 || eq >= pos + len) throw bad(`PAX record without "=" in ${what}`);
    const key = data.toString('utf8', space + 1, eq);
    into.set(key, Buffer.from(data.subarray(eq + 1, pos + len - 1)));
    pos += len;
  }
}

/**
 * A push decoder: feed it bytes with {@link push} and iterate the events each call yields, then
 * call {@link finish}. Iterating lazily lets a caller await between events for backpressure.
 */
export class TarDecoder {
  readonly #what: string;
  #carry: Buffer = Buffer.alloc(0);
  #state: 'header' | 'body' | 'meta' = 'header';
  #remaining = 0; // body bytes left in the current entry
  #padding = 0; // padding bytes left after it
  #offset = 0; // archive offset of the next byte to decode
  #meta: Buffer[] = [];
  #metaKind = '';
  #globalPax = new Map<string, Buffer>();
  #nextPax = new Map<string, Buffer>();
  #longName: string | undefined;
  #longLink: string | undefined;
  #ended = false;

  /** `what` names the input in error messages. */
  constructor(what: string) {
    this.#what = what;
  }

  /** True once the end-of-archive block was seen; later input is ignored. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Decodes `input`, yielding the events it completes. */
  *push(input: Buffer): Generator<TarEvent> {
    if (this.#ended) return;
    let chunk = this.#carry.length > 0 ? Buffer.concat([this.#carry, input]) : input;
    this.#carry = Buffer.alloc(0);
    while (chunk.length > 0 && !this.#ended) {
      if (this.#state === 'header') {
        if (chunk.length < BLOCK) {
          this.#carry = Buffer.from(chunk);
          break;
        }
        const h = chunk.subarray(0, BLOCK);
        chunk = chunk.subarray(BLOCK);
        this.#offset += BLOCK;
        if (h.every((b) => b === 0)) {
          this.#ended = true;
          break;
        }
        const header = this.#startEntry(h);
        if (header) yield { kind: 'entry', header };
      } else if (this.#remaining > 0) {
        const take = chunk.subarray(0, Math.min(this.#remaining, chunk.length));
        chunk = chunk.subarray(take.length);
        this.#remaining -= take.length;
        this.#offset += take.length;
        if (this.#state === 'meta') this.#meta.push(Buffer.from(take));
        else yield { kind: 'data', chunk: take };
      } else if (this.#padding > 0) {
        const skip = Math.min(this.#padding, chunk.length);
        chunk = chunk.subarray(skip);
        this.#padding -= skip;
        this.#offset += skip;
      }
      if (this.#state !== 'header' && this.#remaining === 0 && this.#padding === 0) {
        const wasMeta = this.#state === 'meta';
        this.#state = 'header';
        if (wasMeta) this.#finishMeta();
        else yield { kind: 'end' };
      }
    }
  }

  /** Checks that the input did not stop inside an entry. */
  finish(): void {
    if (!this.#ended && (this.#state !== 'header' || this.#carry.length > 0)) {
      throw bad(`unexpected end of data inside an entry at byte ${this.#offset} of ${this.#what}`);
    }
  }

  #startEntry(h: Buffer): RawTarHeader | undefined {
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
    if (sum !== num(h, 148, 8)) {
      throw bad(`bad tar header checksum at byte ${this.#offset - BLOCK} of ${this.#what}`);
    }
    const flag = String.fromCharCode(h[156] || 0x30);
    const size = num(h, 124, 12);
    this.#remaining = size;
    this.#padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      this.#state = 'meta';
      this.#metaKind = flag;
      this.#meta = [];
      return undefined;
    }
    const pax = new Map([...this.#globalPax, ...this.#nextPax]);
    this.#nextPax = new Map();
    // Only POSIX ustar headers have a name prefix; old GNU headers keep times in those bytes.
    const what = this.#what;
    const prefix =
      h.toString('binary', 257, 263) === 'ustar\0' ? nameText(field(h, 345, 155), what) : '';
    const text = (key: string): string | undefined => pax.get(key)?.toString('utf8');
    const name = (key: string): string | undefined => {
      const v = pax.get(key);
      return v === undefined ? undefined : nameText(v, what);
    };
    const base = nameText(field(h, 0, 100), what);
    const header: RawTarHeader = {
      name: name('path') ?? this.#longName ?? (prefix ? `${prefix}/${base}` : base),
      type: TYPES[flag],
      typeflag: flag,
      mode: num(h, 100, 8),
      uid: Number(text('uid') ?? num(h, 108, 8)),
      gid: Number(text('gid') ?? num(h, 116, 8)),
      size: Number(text('size') ?? size),
      mtime: Math.floor(Number(text('mtime') ?? num(h, 136, 12))),
      linkname: name('linkpath') ?? this.#longLink ?? nameText(field(h, 157, 100), what),
      uname: text('uname') ?? str(h, 265, 32),
      gname: text('gname') ?? str(h, 297, 32),
      devmajor: num(h, 329, 8),
      devminor: num(h, 337, 8),
      pax,
    };
    this.#longName = undefined;
    this.#longLink = undefined;
    this.#remaining = header.size;
    this.#padding = (BLOCK - (header.size % BLOCK)) % BLOCK;
    this.#state = 'body';
    return header;
  }

  #finishMeta(): void {
    const data = Buffer.concat(this.#meta);
    this.#meta = [];
    if (this.#metaKind === 'x') parsePaxRaw(data, this.#nextPax, this.#what);
    else if (this.#metaKind === 'g') {
      this.#globalPax = new Map(this.#globalPax);
      parsePaxRaw(data, this.#globalPax, this.#what);
    } else if (this.#metaKind === 'L')
      this.#longName = nameText(field(data, 0, data.length), this.#what);
    else this.#longLink = nameText(field(data, 0, data.length), this.#what);
  }
}

/** Callbacks of {@link readTar}; each may return a promise to apply backpressure. */
export interface TarHandlers {
  entry(header: RawTarHeader): Promise<void> | void;
  /** A piece of the current entry's body, in order. */
  data(chunk: Buffer): Promise<void> | void;
  /** The current entry's body is complete. */
  end(): Promise<void> | void;
}

/**
 * Reads the tar in `source` (uncompressed bytes), calling `handlers` for each entry. Stops at
 * the end-of-archive blocks; throws ERR_TAR on a bad header checksum or a stream that ends
 * inside an entry.
 */
export async function readTar(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  handlers: TarHandlers,
  what: string,
): Promise<void> {
  const decoder = new TarDecoder(what);
  for await (const input of source) {
    for (const event of decoder.push(input)) {
      if (event.kind === 'entry') await handlers.entry(event.header);
      else if (event.kind === 'data') await handlers.data(event.chunk);
      else await handlers.end();
    }
    // After the end blocks the source is still drained, so that a gzip source checks its trailer.
  }
  decoder.finish();
}

/** One entry of a tar read whole by {@link parseTar}. */
export interface TarEntry extends Omit<RawTarHeader, 'pax'> {
  data: Buffer;
  /** PAX records that applied to this entry, decoded as UTF-8. */
  pax: Record<string, string>;
}

/**
 * Reads every entry of a tar held in memory. `what` names the input in error messages. Stops
 * at the end-of-archive block or at the end of the buffer.
 */
export function parseTar(buf: Buffer, what: string): TarEntry[] {
  const decoder = new TarDecoder(what);
  const entries: TarEntry[] = [];
  let body: Buffer[] = [];
  for (const event of decoder.push(buf)) {
    if (event.kind === 'entry') {
      const { pax, ...rest } = event.header;
      const text: Record<string, string> = {};
      for (const [key, value] of pax) text[key] = value.toString('utf8');
      entries.push({ ...rest, pax: text, data: Buffer.alloc(0) });
      body = [];
    } else if (event.kind === 'data') {
      body.push(event.chunk);
    } else {
      const entry = entries.at(-1) as TarEntry;
      entry.data = body.length === 1 ? (body[0] as Buffer) : Buffer.concat(body);
    }
  }
  decoder.finish();
  return entries;
}
