/**
 * Writing real APK v2 packages, for fixtures, demo repositories and synthetic mirrors.
 *
 * The layout is what abuild and melange produce and what apk-tools and apko accept:
 * an optional signature member (RSA over the control member's bytes), a control member whose
 * tar has no end-of-archive blocks (`.PKGINFO` with `datahash`, then scripts), and a data
 * member whose tar carries a PAX `APK-TOOLS.checksum.SHA1` for every file and symlink.
 * Output is deterministic: fixed mtimes, no gzip name or time, entries in the given order.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { ApkgraphError, throwIfAborted } from '../errors.js';
import { createAtomicWriteStream } from '../util/atomic.js';
import { GuardedWriter } from '../util/guarded-writer.js';
import { sha1ToQ1 } from './checksum.js';
import type { SigningKey } from './keys.js';
import { formatPkgInfo, makePkgInfo, pkgInfoToRecord } from './pkginfo.js';
import { signatureName, signBytes, type SignatureAlgorithm } from './signature.js';
import { encodeTarEntry, TAR_END, type TarEntrySpec } from '../tar/tar-encoder.js';
import type { PackageRecord } from './types.js';

/** One entry of the package's file tree. */
export interface ApkFileSpec {
  /** Relative path, e.g. `usr/bin/hello`. */
  path: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink';
  /** Permission bits; default 0644 for files, 0755 for directories, 0777 for symlinks. */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Seconds; default the package's `mtime`. */
  mtime?: number;
  content?: Uint8Array | string;
  /** For {@link writeApkToFile} only: stream the content from this local file. */
  contentFile?: string;
  /** Target of a symlink or hard link. */
  linkname?: string;
}

/** What {@link writeApk} packs. */
export interface ApkSpec {
  /** `.PKGINFO` entries (pkgname, pkgver, arch, …). `size` and `datahash` are added for you. */
  pkginfo: Array<[key: string, value: string]>;
  files: ApkFileSpec[];
  /** Signs the control member when given. */
  key?: SigningKey;
  /** Default `RSA256`. */
  algorithm?: SignatureAlgorithm;
  /** Control scripts by name, e.g. `{'.post-install': '#!/bin/sh\n…'}`. */
  scripts?: Record<string, string>;
  /** 1–9; default 6. */
  gzipLevel?: number;
  /** Default mtime of every entry, seconds; default `builddate` or 0. */
  mtime?: number;
  /** Add directory entries for parents the file list does not name (default true). */
  addParentDirs?: boolean;
}

/** A written package and its index record (with `C:`, `S:` and `I:`). */
export interface WrittenApk {
  bytes: Uint8Array;
  record: PackageRecord;
}

const TYPEFLAG = { file: '0', hardlink: '1', symlink: '2', dir: '5' } as const;

function defaultMtime(spec: ApkSpec): number {
  if (spec.mtime !== undefined) return spec.mtime;
  const bd = spec.pkginfo.find(([k]) => k === 'builddate')?.[1];
  return bd === undefined ? 0 : Number(bd) || 0;
}

/** The file list with missing parent directories put in front of their first child. */
function withParents(files: ApkFileSpec[], add: boolean): ApkFileSpec[] {
  if (!add) return files;
  const seen = new Set(files.filter((f) => f.type === 'dir').map((f) => trimPath(f.path)));
  const out: ApkFileSpec[] = [];
  for (const f of files) {
    const parts = trimPath(f.path).split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!seen.has(dir)) {
        seen.add(dir);
        out.push({ path: dir, type: 'dir' });
      }
    }
    out.push(f);
  }
  return out;
}

function trimPath(p: string): string {
  return p.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
}

function contentBytes(f: ApkFileSpec): Buffer {
  if (f.content === undefined) return Buffer.alloc(0);
  return typeof f.content === 'string'
    ? Buffer.from(f.content, 'utf8')
    : Buffer.from(f.content.buffer, f.content.byteOffset, f.content.byteLength);
}

function entrySpec(f: ApkFileSpec, mtime: number, size: number, sha1Hex?: string): TarEntrySpec {
  const type = f.type ?? 'file';
  const defaultMode = type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644;
  return {
    name: trimPath(f.path) + (type === 'dir' ? '/' : ''),
    typeflag: TYPEFLAG[type],
    mode: f.mode ?? defaultMode,
    uid: f.uid ?? 0,
    gid: f.gid ?? 0,
    mtime: f.mtime ?? mtime,
    ...(f.linkname === undefined ? {} : { linkname: f.linkname }),
    ...(sha1Hex === undefined ? {} : { pax: [['APK-TOOLS.checksum.SHA1', sha1Hex]] }),
    ...(type === 'file' ? { size } : {}),
  };
}

function checksumFor(f: ApkFileSpec, data: Buffer): string | undefined {
  const type = f.type ?? 'file';
  if (type === 'file') return createHash('sha1').update(data).digest('hex');
  if (type === 'symlink')
    return createHash('sha1')
      .update(f.linkname ?? '')
      .digest('hex');
  return undefined;
}

/** The control member (and signature member) for a data member with `datahash`. */
function controlPart(
  spec: ApkSpec,
  datahash: string,
  installedSize: number,
  mtime: number,
  level: number,
): { head: Buffer[]; controlSha1: Buffer; entries: Array<[string, string]> } {
  const entries = spec.pkginfo.filter(([k]) => k !== 'datahash');
  if (!entries.some(([k]) => k === 'size')) {
    const at = entries.findIndex(([k]) => k === 'pkgver');
    entries.splice(at === -1 ? entries.length : at + 1, 0, ['size', String(installedSize)]);
  }
  entries.push(['datahash', datahash]);
  for (const k of ['pkgname', 'pkgver']) {
    if (!entries.some(([key]) => key === k)) {
      throw new ApkgraphError(
        'ERR_APK_FORMAT',
        `cannot write a package without "${k}" in .PKGINFO`,
        {
          hint: 'give pkgname, pkgver and arch in the pkginfo entries',
        },
      );
    }
  }
  const parts = encodeTarEntry({
    name: '.PKGINFO',
    data: Buffer.from(formatPkgInfo(entries)),
    mtime,
  });
  for (const [name, text] of Object.entries(spec.scripts ?? {}).sort(([a], [b]) =>
    a < b ? -1 : 1,
  )) {
    parts.push(...encodeTarEntry({ name, data: Buffer.from(text), mode: 0o755, mtime }));
  }
  // No end-of-archive blocks: apk reads the control and data tars as one stream.
  const control = gzipSync(Buffer.concat(parts), { level });
  const controlSha1 = createHash('sha1').update(control).digest();
  const head: Buffer[] = [];
  if (spec.key) {
    const algorithm = spec.algorithm ?? 'RSA256';
    const sig = signBytes(spec.key, control, algorithm);
    const sigTar = Buffer.concat(
      encodeTarEntry({ name: signatureName(spec.key.name, algorithm), data: sig, mtime }),
    );
    head.push(gzipSync(sigTar, { level }));
  }
  head.push(control);
  return { head, controlSha1, entries };
}

function recordFor(
  entries: Array<[string, string]>,
  controlSha1: Buffer,
  fileSize: number,
): PackageRecord {
  const record = pkgInfoToRecord(makePkgInfo(entries));
  record.checksum = sha1ToQ1(controlSha1);
  record.size = fileSize;
  return record;
}

/** Builds a package in memory. */
export function writeApk(spec: ApkSpec): WrittenApk {
  const mtime = defaultMtime(spec);
  const level = spec.gzipLevel ?? 6;
  const parts: Buffer[] = [];
  let installedSize = 0;
  for (const f of withParents(spec.files, spec.addParentDirs ?? true)) {
    if (f.contentFile !== undefined) {
      throw new ApkgraphError(
        'ERR_APK_FORMAT',
        `writeApk holds packages in memory; use writeApkToFile for ${f.path}`,
        {
          hint: 'contentFile is only read by writeApkToFile',
        },
      );
    }
    const data = (f.type ?? 'file') === 'file' ? contentBytes(f) : Buffer.alloc(0);
    installedSize += data.length;
    parts.push(
      ...encodeTarEntry({ ...entrySpec(f, mtime, data.length, checksumFor(f, data)), data }),
    );
  }
  parts.push(TAR_END);
  const dataGz = gzipSync(Buffer.concat(parts), { level });
  const datahash = createHash('sha256').update(dataGz).digest('hex');
  const { head, controlSha1, entries } = controlPart(spec, datahash, installedSize, mtime, level);
  const bytes = Buffer.concat([...head, dataGz]);
  return { bytes, record: recordFor(entries, controlSha1, bytes.length) };
}

async function hashFile(path: string): Promise<{ sha1Hex: string; size: number }> {
  const h = createHash('sha1');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    h.update(chunk);
    size += chunk.length;
  }
  return { sha1Hex: h.digest('hex'), size };
}

/**
 * Writes a package to `path` (atomically), streaming file contents and the data member so
 * that large payloads never sit in memory whole. Files may name a `contentFile` to copy.
 * Produces the same bytes as {@link writeApk} for the same spec.
 */
export async function writeApkToFile(
  path: string,
  spec: ApkSpec,
  opts: { signal?: AbortSignal } = {},
): Promise<PackageRecord> {
  const mtime = defaultMtime(spec);
  const level = spec.gzipLevel ?? 6;
  const dataPath = `${path}.data`;
  const dataOut = await createAtomicWriteStream(dataPath);
  try {
    const gzip = createGzip({ level });
    const hash = createHash('sha256');
    gzip.on('data', (c: Buffer) => hash.update(c));
    // pipeline listens for errors on both streams for their whole life, so a failing file
    // rejects `piping` instead of crashing the process or leaving a wait for 'drain' hanging.
    const piping = pipeline(gzip, dataOut.stream);
    piping.catch(() => undefined);
    const put = async (b: Uint8Array): Promise<void> => {
      if (b.length > 0 && !gzip.write(b)) await Promise.race([once(gzip, 'drain'), piping]);
    };
    let installedSize = 0;
    for (const f of withParents(spec.files, spec.addParentDirs ?? true)) {
      throwIfAborted(opts.signal);
      const isFile = (f.type ?? 'file') === 'file';
      if (isFile && f.contentFile !== undefined) {
        const { sha1Hex, size } = await hashFile(f.contentFile);
        installedSize += size;
        // Headers only (no data given); the body and its padding follow from the file.
        for (const b of encodeTarEntry(entrySpec(f, mtime, size, sha1Hex))) await put(b);
        for await (const chunk of createReadStream(f.contentFile) as AsyncIterable<Buffer>)
          await put(chunk);
        await put(Buffer.alloc((512 - (size % 512)) % 512));
        continue;
      }
      const data = isFile ? contentBytes(f) : Buffer.alloc(0);
      installedSize += data.length;
      for (const b of encodeTarEntry({
        ...entrySpec(f, mtime, data.length, checksumFor(f, data)),
        data,
      }))
        await put(b);
    }
    await put(TAR_END);
    gzip.end();
    await piping;
    const datahash = hash.digest('hex');
    const dataSize = (await stat(dataOut.tempPath)).size;
    const { head, controlSha1, entries } = controlPart(spec, datahash, installedSize, mtime, level);

    const out = await createAtomicWriteStream(path);
    const writer = new GuardedWriter(out.stream);
    try {
      for (const b of head) await writer.write(b);
      const fh = await open(dataOut.tempPath);
      try {
        for await (const chunk of fh.createReadStream() as AsyncIterable<Buffer>) {
          await writer.write(chunk);
        }
      } finally {
        await fh.close().catch(() => undefined);
      }
      await writer.end();
      await out.commit();
    } catch (err) {
      await out.abort();
      throw err;
    }
    const fileSize = head.reduce((n, b) => n + b.length, 0) + dataSize;
    return recordFor(entries, controlSha1, fileSize);
  } finally {
    await dataOut.abort();
  }
}
