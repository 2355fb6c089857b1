/**
 * Splitting an .apk into its gzip members while it streams past.
 *
 * An APK v2 file is an optional signature member, a control member and the data (one or more
 * members up to the end of the file). The leading members are small and are buffered, bounded
 * by `maxControlBytes`; the data part may be hundreds of megabytes, so it is only hashed and
 * handed to `sinks.data`, never held in memory.
 */
import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { ApkgraphError, throwIfAborted } from '../errors.js';
import { sha1ToQ1 } from './checksum.js';
import { readGzipMember, type GzipMember } from './gzip-streams.js';
import { parsePkgInfo, type PkgInfo } from './pkginfo.js';
import { parseSignatureName, type SignatureAlgorithm, type SignatureEntry } from './signature.js';
import { parseTar, type TarEntry } from '../tar/tar-decoder.js';

/** The sections of an .apk and their hashes. */
export interface ApkSections {
  /** The signature member, absent in unsigned packages (most of Wolfi). */
  signature?: {
    bytes: Uint8Array;
    sha1Hex: string;
    keyName?: string;
    algorithm?: SignatureAlgorithm;
    /** Supported signatures found in the member. */
    entries: SignatureEntry[];
  };
  control: {
    /** The raw control gzip member. */
    bytes: Uint8Array;
    sha1Hex: string;
    /** `Q1…`: what an index's `C:` must say. */
    checksum: string;
    /** The entries of the control tar (`.PKGINFO`, scripts). */
    entries: TarEntry[];
  };
  data: {
    /** Hex SHA-256 of the data part: what `.PKGINFO`'s `datahash` must say. */
    sha256Hex: string;
    /** Compressed size in bytes. */
    size: number;
  };
  pkginfo: PkgInfo;
  /** `.PKGINFO` has a `datahash` and it equals `data.sha256Hex`. */
  datahashMatches: boolean;
  /** Size of the whole file in bytes. */
  fileSize: number;
}

/** Where {@link splitApk} copies each section; every given sink is ended at the end. */
export interface ApkSinks {
  signature?: Writable;
  control?: Writable;
  data?: Writable;
}

/** Options for {@link splitApk}. */
export interface SplitApkOptions {
  /**
   * Bound on the compressed size of signature + control, and on the control tar. Default 16 MiB.
   */
  maxControlBytes?: number;
  /** Bound on the compressed data size. Default unlimited. */
  maxDataBytes?: number;
  /** The package or file, for messages. */
  source?: string;
  /**
   * Called with the hex SHA-1 of the control member as soon as it has streamed past, before
   * the data. Throwing stops the split there, so a package that does not match its index
   * checksum is refused without downloading its data.
   */
  onControl?: (controlSha1Hex: string) => void;
  signal?: AbortSignal;
}

const DEFAULT_MAX_CONTROL = 16 * 1024 * 1024;

/** Raised when a sink was destroyed by its reader, which has its own error to report. */
export class SinkClosedError extends ApkgraphError {
  constructor() {
    super('ERR_IO', 'the reader of a package section stopped early');
    this.name = 'SinkClosedError';
  }
}

async function write(sink: Writable, chunk: Uint8Array): Promise<void> {
  if (sink.destroyed) throw new SinkClosedError();
  if (sink.write(chunk)) return;
  // A reader that fails destroys its stream, and then 'drain' never comes.
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new SinkClosedError());
    sink.on('drain', onDrain);
    sink.on('close', onClose);
  });
}

async function finish(sink: Writable | undefined): Promise<void> {
  if (!sink) return;
  if (sink.destroyed) throw new SinkClosedError();
  sink.end();
  await finished(sink, { readable: false }).catch(() => {
    throw new SinkClosedError();
  });
}

function firstName(member: GzipMember, source: string): string | undefined {
  return parseTar(member.content, source)[0]?.name;
}

/**
 * Splits an .apk from `source`, hashing each section and copying it to `sinks`.
 * Throws ERR_APK_FORMAT for a file that is not an APK v2 package or ends early, and
 * ERR_SIZE_LIMIT past the limits.
 */
export async function splitApk(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Readable,
  sinks: ApkSinks = {},
  opts: SplitApkOptions = {},
): Promise<ApkSections> {
  try {
    return await split(source, sinks, opts);
  } catch (err) {
    // Readers downstream of a sink must see the failure rather than wait for more data.
    for (const sink of [sinks.signature, sinks.control, sinks.data]) sink?.destroy(err as Error);
    throw err;
  }
}

async function split(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Readable,
  sinks: ApkSinks,
  opts: SplitApkOptions,
): Promise<ApkSections> {
  const what = opts.source ?? 'package';
  const maxControl = opts.maxControlBytes ?? DEFAULT_MAX_CONTROL;
  const maxData = opts.maxDataBytes ?? Number.POSITIVE_INFINITY;
  const dataHash = createHash('sha256');
  let head: Buffer = Buffer.alloc(0);
  let sig: GzipMember | undefined;
  let control: GzipMember | undefined;
  let controlSha1: Buffer | undefined;
  let dataSize = 0;
  let fileSize = 0;

  const feedData = async (chunk: Uint8Array): Promise<void> => {
    dataSize += chunk.length;
    if (dataSize > maxData) {
      throw new ApkgraphError('ERR_SIZE_LIMIT', `data of ${what} is larger than ${maxData} bytes`, {
        package: what,
        hint: 'raise the data size limit if the package is trusted',
      });
    }
    dataHash.update(chunk);
    if (sinks.data) await write(sinks.data, chunk);
  };

  // Finds the signature and control members in `head`; true once both boundaries are known.
  const scanHead = (): boolean => {
    let off = sig?.end ?? 0;
    while (!control) {
      const m = readGzipMember(head, off, what, maxControl);
      if (!m) return false;
      if (!sig && off === 0 && firstName(m, what)?.startsWith('.SIGN.')) sig = m;
      else control = m;
      off = m.end;
    }
    return true;
  };

  for await (const raw of source as AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    throwIfAborted(opts.signal);
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    fileSize += chunk.length;
    if (control) {
      await feedData(chunk);
      continue;
    }
    head = head.length === 0 ? Buffer.from(chunk) : Buffer.concat([head, chunk]);
    if (scanHead()) {
      const found = control as GzipMember | undefined;
      if (found) {
        controlSha1 = createHash('sha1').update(head.subarray(found.start, found.end)).digest();
        opts.onControl?.(controlSha1.toString('hex'));
      }
      const rest = head.subarray((control as GzipMember | undefined)?.end ?? head.length);
      if (rest.length > 0) await feedData(rest);
    } else if (head.length > maxControl) {
      throw new ApkgraphError(
        'ERR_SIZE_LIMIT',
        `signature and control of ${what} are larger than ${maxControl} bytes`,
        {
          package: what,
          hint: 'this is unusual for an APK; check the file, or raise the control size limit',
        },
      );
    }
  }
  throwIfAborted(opts.signal);
  const ctl = control;
  if (!ctl) {
    throw new ApkgraphError('ERR_APK_FORMAT', `${what} ends before its control section does`, {
      package: what,
      hint: 'the file is truncated or not an .apk; download it again',
    });
  }
  if (dataSize === 0) {
    throw new ApkgraphError('ERR_APK_FORMAT', `${what} has no data section`, {
      package: what,
      hint: 'the file is truncated; download it again',
    });
  }

  const controlEntries = parseTar(ctl.content, what);
  const pkginfoEntry = controlEntries.find((e) => e.name === '.PKGINFO');
  if (!pkginfoEntry) {
    throw new ApkgraphError('ERR_APK_FORMAT', `${what} has no .PKGINFO in its control section`, {
      package: what,
      hint: 'the file is not an APK v2 package',
    });
  }
  const pkginfo = parsePkgInfo(pkginfoEntry.data.toString('utf8'), what);
  const controlBytes = head.subarray(ctl.start, ctl.end);
  controlSha1 ??= createHash('sha1').update(controlBytes).digest();
  const sha256Hex = dataHash.digest('hex');

  let signature: ApkSections['signature'];
  const s = sig;
  if (s) {
    const sigBytes = head.subarray(s.start, s.end);
    const entries: SignatureEntry[] = [];
    for (const e of parseTar(s.content, what)) {
      const parsed = parseSignatureName(e.name);
      if (parsed) entries.push({ ...parsed, signature: e.data });
    }
    signature = {
      bytes: sigBytes,
      sha1Hex: createHash('sha1').update(sigBytes).digest('hex'),
      ...(entries[0] ? { keyName: entries[0].keyName, algorithm: entries[0].algorithm } : {}),
      entries,
    };
    if (sinks.signature) await write(sinks.signature, sigBytes);
  }
  if (sinks.control) await write(sinks.control, controlBytes);
  await Promise.all([finish(sinks.signature), finish(sinks.control), finish(sinks.data)]);

  return {
    ...(signature ? { signature } : {}),
    control: {
      bytes: controlBytes,
      sha1Hex: controlSha1.toString('hex'),
      checksum: sha1ToQ1(controlSha1),
      entries: controlEntries,
    },
    data: { sha256Hex, size: dataSize },
    pkginfo,
    datahashMatches: pkginfo.get('datahash') === sha256Hex,
    fileSize,
  };
}
