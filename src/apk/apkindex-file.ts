/**
 * APKINDEX.tar.gz: reading (with signature checks) and writing.
 *
 * The file is two gzip members: a signature tar holding `.SIGN.RSA.<key>` entries (no
 * end-of-archive blocks), then a tar holding `DESCRIPTION` and `APKINDEX`. The signatures cover
 * the raw bytes of that second member, so the reader keeps the member boundary and checks the
 * signatures before trusting any record. An unsigned index is one member (or plain text).
 */
import { readFile } from 'node:fs/promises';
import * as zlib from 'node:zlib';
import { ApkgraphError } from '../errors.js';
import { formatIndexText, parseIndexText } from './apkindex.js';
import { gzipMember, readGzipMember, type GzipMember } from './gzip-streams.js';
import type { Keyring, SigningKey } from './keys.js';
import {
  checkSignatures,
  parseSignatureName,
  signatureName,
  signBytes,
  type SignatureAlgorithm,
  type SignatureEntry,
} from './signature.js';
import { parseTar } from '../tar/tar-decoder.js';
import { encodeTarEntry, TAR_END } from '../tar/tar-encoder.js';
import type { PackageRecord } from './types.js';

/** A parsed, and unless allowed otherwise verified, APKINDEX. */
export interface ApkIndex {
  /** The `DESCRIPTION` entry (e.g. `v3.22.2-206-ge2cfd1f9853`), if present. */
  description?: string;
  packages: PackageRecord[];
  /** Every supported signature found, and whether it verified against the keyring. */
  signatures: Array<{ keyName: string; algorithm: SignatureAlgorithm; verified: boolean }>;
  /** The first key whose signature verified. */
  verifiedBy?: string;
}

/** Options for {@link readApkIndex}. */
export interface ReadApkIndexOptions {
  /** Trusted keys; an index must carry at least one signature by one of them. */
  keyring?: Keyring;
  /** The file or URL, for messages. */
  source?: string;
  /**
   * Accept an index without a verifying signature (unsigned, plain text, unknown signer).
   * Signatures are still checked and reported when a keyring is given.
   */
  allowUnsigned?: boolean;
  /** Bound on the decompressed size of the index member. Default 256 MiB. */
  maxDecompressedBytes?: number;
}

const DEFAULT_MAX_INDEX = 256 * 1024 * 1024;
const MAX_SIGNATURE_MEMBER = 1024 * 1024;

function truncated(source: string, cause?: unknown): ApkgraphError {
  return new ApkgraphError(
    'ERR_INDEX_TRUNCATED',
    `index ${source} is truncated (its gzip data ends early)`,
    {
      path: source,
      hint: 'the download was cut short; delete the file and download the index again',
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

function gunzipIndex(bytes: Buffer, source: string, maxBytes: number): Buffer {
  try {
    // Multi-member aware: anything after the index member (rare) is decompressed too.
    return zlib.gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test((err as Error).message)) {
      throw truncated(source, err);
    }
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ApkgraphError(
        'ERR_SIZE_LIMIT',
        `index ${source} inflates to more than ${maxBytes} bytes`,
        {
          path: source,
          hint: 'raise maxDecompressedBytes if this index is trusted',
          cause: err,
        },
      );
    }
    throw new ApkgraphError('ERR_GZIP', `index ${source} is not valid gzip data`, {
      path: source,
      hint: 'delete the file and download the index again',
      cause: err,
    });
  }
}

function requireTrust(
  source: string,
  checks: ReturnType<typeof checkSignatures>,
  keyring: Keyring | undefined,
): string {
  const ok = checks.find((c) => c.verified);
  if (ok) return ok.keyName;
  const wanted = checks.map((c) => c.keyName).join(', ');
  if (checks.length === 0) {
    throw new ApkgraphError('ERR_UNTRUSTED', `index ${source} is not signed`, {
      path: source,
      hint:
        'use a signed index (apkgraph repositories must be signed; ' +
        '"apkgraph repo synth" signs the ones it writes)',
    });
  }
  if (!keyring) {
    throw new ApkgraphError(
      'ERR_UNTRUSTED',
      `index ${source} is signed by ${wanted}, but no keyring was given`,
      {
        path: source,
        hint: `add the key ${checks[0]?.keyName ?? ''} to the keyring`,
      },
    );
  }
  const bad = checks.filter((c) => c.keyKnown);
  if (bad.length > 0) {
    throw new ApkgraphError(
      'ERR_SIGNATURE',
      `signature of index ${source} by ${bad.map((c) => c.keyName).join(', ')} does not verify`,
      {
        path: source,
        hint:
          'the index was altered or is corrupt; download it again, ' +
          'and check the mirror if it persists',
      },
    );
  }
  throw new ApkgraphError(
    'ERR_UNTRUSTED',
    `index ${source} is signed by ${wanted}, which is not in the keyring ` +
      `(${keyring.names.join(', ') || 'empty'})`,
    {
      path: source,
      hint: `add the repository's key ${checks[0]?.keyName ?? ''} to the keyring`,
    },
  );
}

/** The first gzip member, `'large'` if it inflates past any signature member's size. */
function readFirstMember(buf: Buffer, source: string): GzipMember | 'large' | undefined {
  try {
    return readGzipMember(buf, 0, source, MAX_SIGNATURE_MEMBER);
  } catch (err) {
    if (err instanceof ApkgraphError && err.code === 'ERR_SIZE_LIMIT') return 'large';
    throw err;
  }
}

/** Parses an APKINDEX (`.tar.gz`, or plain text when unsigned indexes are allowed). */
export function readApkIndex(bytes: Uint8Array, opts: ReadApkIndexOptions = {}): ApkIndex {
  const source = opts.source ?? 'APKINDEX';
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maxBytes = opts.maxDecompressedBytes ?? DEFAULT_MAX_INDEX;

  if (buf[0] !== 0x1f || buf[1] !== 0x8b) {
    // Plain text: what `apk index` prints before packing, and what some tools keep.
    if (!opts.allowUnsigned) {
      throw new ApkgraphError(
        'ERR_UNTRUSTED',
        `index ${source} is plain text, so it carries no signature`,
        {
          path: source,
          hint:
            'point the repository at its signed APKINDEX.tar.gz ' +
            '(plain-text indexes carry no signature)',
        },
      );
    }
    return { packages: parseIndexText(buf.toString('utf8'), source), signatures: [] };
  }

  // Member 1 is the signature tar when its first entry is a .SIGN.* file.
  const first = readFirstMember(buf, source);
  const sigEntries: SignatureEntry[] = [];
  let indexStart = 0;
  if (first === 'large') {
    // Signature members are a few hundred bytes: this is a single-member (unsigned) index.
  } else if (first === undefined) {
    throw truncated(source);
  } else {
    const entries = parseTar(first.content, source);
    if (entries[0]?.name.startsWith('.SIGN.')) {
      indexStart = first.end;
      for (const e of entries) {
        const parsed = parseSignatureName(e.name);
        if (parsed) sigEntries.push({ ...parsed, signature: e.data });
      }
    }
  }
  const signed = buf.subarray(indexStart);
  if (signed.length === 0) throw truncated(source);
  const tar = gunzipIndex(signed, source, maxBytes);

  const checks = opts.keyring
    ? checkSignatures(sigEntries, signed, opts.keyring)
    : sigEntries.map((e) => ({
        keyName: e.keyName,
        algorithm: e.algorithm,
        verified: false,
        keyKnown: false,
      }));
  const verifiedBy = opts.allowUnsigned
    ? checks.find((c) => c.verified)?.keyName
    : requireTrust(source, checks, opts.keyring);

  let description: string | undefined;
  let text: string | undefined;
  for (const e of parseTar(tar, source)) {
    if (e.name === 'DESCRIPTION') description = e.data.toString('utf8').trimEnd();
    else if (e.name === 'APKINDEX') text = e.data.toString('utf8');
  }
  if (text === undefined) {
    throw new ApkgraphError('ERR_INDEX_FORMAT', `index ${source} has no APKINDEX entry`, {
      path: source,
      hint: 'this is not an APK repository index',
    });
  }
  return {
    ...(description === undefined || description === '' ? {} : { description }),
    packages: parseIndexText(text, source),
    signatures: checks.map(({ keyName, algorithm, verified }) => ({
      keyName,
      algorithm,
      verified,
    })),
    ...(verifiedBy === undefined ? {} : { verifiedBy }),
  };
}

/** Reads and parses the index at `path` (see {@link readApkIndex}). */
export async function readApkIndexFile(
  path: string,
  opts: ReadApkIndexOptions = {},
): Promise<ApkIndex> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new ApkgraphError('ERR_IO', `cannot read index ${path}: ${(err as Error).message}`, {
      path,
      hint: 'check that the file exists and is readable',
      cause: err,
    });
  }
  return readApkIndex(bytes, { source: path, ...opts });
}

/** What {@link writeApkIndex} packs. */
export interface WriteApkIndexOptions {
  packages: readonly PackageRecord[];
  description?: string;
  /** Signs the index when given. */
  key?: SigningKey;
  /** Default `RSA256`. */
  algorithm?: SignatureAlgorithm;
  /** Entry mtimes, seconds; default 0 for reproducible output. */
  mtime?: number;
}

/** Writes a real APKINDEX.tar.gz: an optional signature member, then the index member. */
export function writeApkIndex(opts: WriteApkIndexOptions): Uint8Array {
  const mtime = opts.mtime ?? 0;
  const parts: Buffer[] = [];
  if (opts.description !== undefined) {
    parts.push(
      ...encodeTarEntry({ name: 'DESCRIPTION', data: Buffer.from(opts.description), mtime }),
    );
  }
  parts.push(
    ...encodeTarEntry({
      name: 'APKINDEX',
      data: Buffer.from(formatIndexText(opts.packages)),
      mtime,
    }),
  );
  parts.push(TAR_END);
  const indexMember = gzipMember(Buffer.concat(parts), 9);
  if (!opts.key) return indexMember;

  const algorithm = opts.algorithm ?? 'RSA256';
  const sig = signBytes(opts.key, indexMember, algorithm);
  // The signature tar has no end-of-archive blocks, as abuild-sign writes it.
  const sigTar = Buffer.concat(
    encodeTarEntry({ name: signatureName(opts.key.name, algorithm), data: sig, mtime }),
  );
  return Buffer.concat([gzipMember(sigTar, 9), indexMember]);
}
