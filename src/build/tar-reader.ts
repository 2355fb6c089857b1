/**
 * A streaming tar reader for package data tars that keeps PAX values as raw bytes.
 *
 * General-purpose readers decode PAX values as UTF-8, which mangles binary xattrs such as
 * `security.capability` (a little-endian struct). The layer must carry them byte for byte, so
 * this reader hands out each entry's PAX records as Buffers. It understands what apk writes:
 * ustar headers with the prefix field, PAX `x`/`g` records and GNU `L`/`K` long names. Bodies
 * are passed on in the chunks they arrive in, so memory does not grow with file size.
 */
import { ApkgraphError } from '../errors.js';
import type { TarEntryType } from '../oci/tar-writer.js';

/** One entry header, with PAX overrides applied. */
export interface RawTarHeader {
  name: string;
  /** `undefined` for entry kinds apkgraph does not install (sockets, vendor types). */
  type: TarEntryType | undefined;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (whole). */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** PAX records that applied to this entry, values as raw bytes. */
  pax: Map<string, Buffer>;
}

/** Callbacks of {@link readTar}; each may return a promise to apply backpressure. */
export interface TarHandlers {
  entry(header: RawTarHeader): Promise<void> | void;
  /** A piece of the current entry's body, in order. */
  data(chunk: Buffer): Promise<void> | void;
  /** The current entry's body is complete. */
  end(): Promise<void> | void;
}

const BLOCK = 512;

const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'directory',
  '6': 'fifo',
};

function bad(what: string, message: string): ApkgraphError {
  return new ApkgraphError('ERR_TAR', `${message} in ${what}`, {
    hint: 'the package data is corrupt; remove it from the cache and fetch it again',
  });
}

function str(buf: Buffer, off: number, len: number): string {
  const end = buf.indexOf(0, off);
  return buf.toString('utf8', off, end === -1 || end > off + len ? off + len : end);
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

/** Parses PAX records (`<len> <key>=<value>\n`), keeping values as bytes. */
export function parsePaxRaw(data: Buffer, into: Map<string, Buffer>, what: string): void {
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const len = space === -1 ? NaN : parseInt(data.toString('ascii', pos, space), 10);
    if (!(len > 0) || pos + len > data.length) throw bad(what, 'malformed PAX record');
    const eq = data.indexOf(0x3d, space + 1);
    if (eq === -1 || eq >= pos + len) throw bad(what, 'PAX record without "="');
    const key = data.toString('utf8', space + 1, eq);
    into.set(key, Buffer.from(data.subarray(eq + 1, pos + len - 1)));
    pos += len;
  }
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
  let carry: Buffer = Buffer.alloc(0);
  let state: 'header' | 'body' | 'meta' = 'header';
  let remaining = 0; // body bytes left in the current entry
  let padding = 0; // padding bytes left after it
  let meta: Buffer[] = [];
  let metaKind = '';
  let globalPax = new Map<string, Buffer>();
  let nextPax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let ended = false;

  const startEntry = async (h: Buffer): Promise<void> => {
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
    if (sum !== num(h, 148, 8)) throw bad(what, 'tar header checksum mismatch');
    const flag = String.fromCharCode(h[156] as number);
    const size = num(h, 124, 12);
    padding = (BLOCK - (size % BLOCK)) % BLOCK;
    remaining = size;
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      state = 'meta';
      metaKind = flag;
      meta = [];
      return;
    }
    const pax = new Map([...globalPax, ...nextPax]);
    nextPax = new Map();
    const prefix = h.toString('ascii', 257, 262) === 'ustar' ? str(h, 345, 155) : '';
    const text = (key: string): string | undefined => pax.get(key)?.toString('utf8');
    const header: RawTarHeader = {
      name: text('path') ?? longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100)),
      type: TYPES[flag],
      mode: num(h, 100, 8),
      uid: Number(text('uid') ?? num(h, 108, 8)),
      gid: Number(text('gid') ?? num(h, 116, 8)),
      size: Number(text('size') ?? size),
      mtime: Math.floor(Number(text('mtime') ?? num(h, 136, 12))),
      linkname: text('linkpath') ?? longLink ?? str(h, 157, 100),
      devmajor: num(h, 329, 8),
      devminor: num(h, 337, 8),
      pax,
    };
    longName = undefined;
    longLink = undefined;
    remaining = header.size;
    padding = (BLOCK - (remaining % BLOCK)) % BLOCK;
    state = 'body';
    await handlers.entry(header);
  };

  const finishMeta = (): void => {
    const data = Buffer.concat(meta);
    if (metaKind === 'x') parsePaxRaw(data, nextPax, what);
    else if (metaKind === 'g') {
      globalPax = new Map(globalPax);
      parsePaxRaw(data, globalPax, what);
    } else if (metaKind === 'L') longName = str(data, 0, data.length);
    else longLink = str(data, 0, data.length);
  };

  for await (const input of source) {
    if (ended) continue;
    let chunk: Buffer = carry.length > 0 ? Buffer.concat([carry, input]) : input;
    carry = Buffer.alloc(0);
    while (chunk.length > 0 && !ended) {
      if (state === 'header') {
        if (chunk.length < BLOCK) {
          carry = Buffer.from(chunk);
          break;
        }
        const h = chunk.subarray(0, BLOCK);
        chunk = chunk.subarray(BLOCK);
        if (h.every((b) => b === 0)) {
          ended = true;
          break;
        }
        await startEntry(h);
      } else if (remaining > 0) {
        const take = chunk.subarray(0, Math.min(remaining, chunk.length));
        chunk = chunk.subarray(take.length);
        remaining -= take.length;
        if (state === 'meta') meta.push(Buffer.from(take));
        else await handlers.data(take);
      } else if (padding > 0) {
        const skip = Math.min(padding, chunk.length);
        chunk = chunk.subarray(skip);
        padding -= skip;
      }
      if (state !== 'header' && remaining === 0 && padding === 0) {
        if (state === 'meta') finishMeta();
        else await handlers.end();
        state = 'header';
      }
    }
  }
  if (!ended && (state !== 'header' || carry.length > 0)) {
    throw bad(what, 'unexpected end of data inside an entry');
  }
}
