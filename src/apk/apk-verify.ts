/**
 * Checking a whole .apk: the chain index `C:` → control member → `datahash` → data member →
 * per-file SHA-1, plus the package signature when a keyring is given. The file is read once,
 * as a stream.
 */
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { ApkgraphError } from '../errors.js';
import { SinkClosedError, splitApk, type ApkSections } from './apk-reader.js';
import { readDataTar } from './data-tar.js';
import type { Keyring } from './keys.js';
import type { TarEntryType } from '../tar/tar-encoder.js';
import { checkSignatures, type SignatureAlgorithm } from './signature.js';

/** The kinds of entry a report lists, in apk's words. */
export type DataEntryType =
  'file' | 'directory' | 'symlink' | 'hardlink' | 'character-device' | 'block-device' | 'fifo';

const REPORT_TYPES: Record<TarEntryType, DataEntryType> = {
  file: 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'hardlink',
  char: 'character-device',
  block: 'block-device',
  fifo: 'fifo',
};

/** One data-tar entry as the report lists it. */
export interface ApkFileEntry {
  path: string;
  type: DataEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkname?: string;
}

/** Everything {@link inspectApkFile} found out about a package. */
export interface ApkReport {
  name: string;
  version: string;
  arch: string;
  /** `Q1…` of the control member. */
  checksum: string;
  controlSha1: string;
  dataSha256: string;
  /** The `datahash` `.PKGINFO` claims. */
  datahash?: string;
  datahashOk: boolean;
  /** Undefined when no expected checksum was given. */
  checksumOk?: boolean;
  fileChecksumsOk: boolean;
  badFiles: string[];
  signature?: {
    keyName: string;
    algorithm: SignatureAlgorithm;
    sha1Hex: string;
    /** Undefined when no keyring was given or the key is unknown. */
    verified?: boolean;
  };
  pkginfo: Array<[string, string]>;
  fileSize: number;
  files: ApkFileEntry[];
}

/** Options for {@link inspectApkFile} and {@link verifyApkFile}. */
export interface VerifyApkOptions {
  /** The `C:` of the index entry the file should match. */
  expectedChecksum?: string;
  /** Check the package signature with these keys (packages need not be signed). */
  keyring?: Keyring;
  signal?: AbortSignal;
}

/** Reads `path` and reports every hash without throwing on mismatches. */
export async function inspectApkFile(
  path: string,
  opts: VerifyApkOptions = {},
): Promise<ApkReport> {
  const dataPipe = new PassThrough();
  const files: ApkFileEntry[] = [];
  const input = createReadStream(path);
  const signal = opts.signal ? { signal: opts.signal } : {};
  const splitting = splitApk(input, { data: dataPipe }, { source: path, ...signal });
  const reading = readDataTar(
    dataPipe,
    {
      entry: (e) => {
        files.push({
          path: e.path,
          type: REPORT_TYPES[e.type],
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          size: e.size,
          ...(e.linkname === undefined ? {} : { linkname: e.linkname }),
        });
      },
    },
    { source: path, onChecksumMismatch: 'collect', ...signal },
  );
  const [split, read] = await Promise.allSettled([splitting, reading]);
  if (split.status === 'rejected') {
    // When the data reader failed first, the splitter only saw its sink close.
    const err: unknown =
      split.reason instanceof SinkClosedError && read.status === 'rejected'
        ? read.reason
        : split.reason;
    if (err instanceof ApkgraphError) throw err;
    throw new ApkgraphError('ERR_IO', `cannot read ${path}: ${(err as Error).message}`, {
      path,
      hint: 'check that the file exists and is readable',
      cause: err,
    });
  }
  if (read.status === 'rejected') throw read.reason;
  const sections = split.value;
  const summary = read.value;
  return buildReport(sections, files, summary.badFiles, opts);
}

function buildReport(
  s: ApkSections,
  files: ApkFileEntry[],
  badFiles: string[],
  opts: VerifyApkOptions,
): ApkReport {
  const info = s.pkginfo;
  let signature: ApkReport['signature'];
  if (s.signature?.keyName && s.signature.algorithm) {
    const check = opts.keyring
      ? checkSignatures(s.signature.entries, s.control.bytes, opts.keyring).find((c) => c.keyKnown)
      : undefined;
    signature = {
      keyName: s.signature.keyName,
      algorithm: s.signature.algorithm,
      sha1Hex: s.signature.sha1Hex,
      ...(check ? { verified: check.verified } : {}),
    };
  }
  const datahash = info.get('datahash');
  return {
    name: info.get('pkgname') ?? '',
    version: info.get('pkgver') ?? '',
    arch: info.get('arch') ?? '',
    checksum: s.control.checksum,
    controlSha1: s.control.sha1Hex,
    dataSha256: s.data.sha256Hex,
    ...(datahash === undefined ? {} : { datahash }),
    datahashOk: s.datahashMatches,
    ...(opts.expectedChecksum === undefined
      ? {}
      : { checksumOk: opts.expectedChecksum === s.control.checksum }),
    fileChecksumsOk: badFiles.length === 0,
    badFiles,
    ...(signature ? { signature } : {}),
    pkginfo: info.entries,
    fileSize: s.fileSize,
    files,
  };
}

/**
 * Throws when `report` shows a broken hash chain: ERR_APK_CHECKSUM naming the package and the
 * hash that differs (control vs the expected `C:`, data vs `datahash`, or a file's SHA-1), or
 * ERR_SIGNATURE when the keyring held the signer and the signature is bad.
 */
export function assertApkReport(r: ApkReport, path: string, expectedChecksum?: string): void {
  const pkg = `${r.name}-${r.version}`;
  const fail = (message: string): never => {
    throw new ApkgraphError('ERR_APK_CHECKSUM', `${pkg}: ${message}`, {
      package: pkg,
      path,
      hint:
        'the package was altered or is corrupt; remove it (and its cache entry) and ' +
        'download it again',
    });
  };
  if (r.checksumOk === false) {
    fail(`control checksum ${r.checksum} differs from the index's C:${expectedChecksum ?? ''}`);
  }
  if (!r.datahashOk) {
    fail(
      r.datahash === undefined
        ? 'its .PKGINFO has no datahash, so its data cannot be verified'
        : `data SHA-256 ${r.dataSha256} differs from .PKGINFO datahash ${r.datahash}`,
    );
  }
  if (r.badFiles.length > 0) {
    fail(
      `file SHA-1 of ${r.badFiles.join(', ')} differs from the checksum recorded in the package`,
    );
  }
  if (r.signature?.verified === false) {
    throw new ApkgraphError(
      'ERR_SIGNATURE',
      `${pkg}: signature by ${r.signature.keyName} does not verify`,
      {
        package: pkg,
        path,
        hint: 'the package was altered or signed with another key; download it again',
      },
    );
  }
}

/** Verifies the package at `path` and returns its report; see {@link assertApkReport}. */
export async function verifyApkFile(path: string, opts: VerifyApkOptions = {}): Promise<ApkReport> {
  const r = await inspectApkFile(path, opts);
  assertApkReport(r, path, opts.expectedChecksum);
  return r;
}
