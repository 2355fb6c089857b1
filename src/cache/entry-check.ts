/**
 * Deciding whether a package's cache entry can be trusted without downloading again.
 *
 * On every hit the control file is re-hashed and compared with the index checksum (its name
 * could have been faked by anything that writes to the cache), its `.PKGINFO` is read for the
 * data hash, and the data file must exist under that hash. The data file is NOT re-hashed on a
 * hit: it was verified before it was published, it is only ever published whole (rename), and
 * re-hashing hundreds of megabytes on every build would cost more than the download it saves.
 * Its size is checked instead when the index gives the package size (signature + control + data
 * = `S:`), which catches truncation. `apkgraph cache verify` re-hashes everything.
 *
 * Within one process, an entry checked once is remembered with the identity of its files
 * (device, inode, size, modification and change times); later hits only compare those, one
 * `stat` per file, and check again in full when anything differs. A big set asks for the same
 * package thousands of times, and re-reading its control file each time cost more than all
 * the downloads.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readGzipMember } from '../apk/gzip-streams.js';
import { parsePkgInfo } from '../apk/pkginfo.js';
import { parseTar } from '../tar/tar-decoder.js';
import { checksumToHex, type PackageRef } from './layout.js';

/** A complete, verified entry. */
export interface EntryFiles {
  dir: string;
  controlPath: string;
  dataPath: string;
  signaturePath?: string;
  controlSha1: string;
  dataSha256: string;
  sizes: { signature: number; control: number; data: number };
}

export type EntryState =
  | { state: 'complete'; entry: EntryFiles }
  | { state: 'absent' }
  | { state: 'corrupt'; reason: string };

const MAX_CONTROL = 16 * 1024 * 1024;

/**
 * Inspects the entry in `dir`. With `rehashData`, also re-hashes the data file (slow; for
 * `cache verify`).
 */
export async function inspectEntry(
  dir: string,
  pkg: Pick<PackageRef, 'name' | 'version' | 'checksum' | 'size'>,
  options: { rehashData?: boolean } = {},
): Promise<EntryState> {
  const label = `${pkg.name}-${pkg.version}`;
  let sha1: string;
  if (pkg.checksum !== undefined) {
    sha1 = checksumToHex(pkg.checksum, label);
  } else {
    // Unsigned synthetic data has no index checksum: the control file names itself.
    const names = await readdir(dir).catch(() => [] as string[]);
    const found = names.find((n) => /^[0-9a-f]{40}\.ctl\.tar\.gz$/.test(n));
    if (!found) return { state: 'absent' };
    sha1 = found.slice(0, 40);
  }
  const controlPath = join(dir, `${sha1}.ctl.tar.gz`);
  const control = await readFile(controlPath).catch(() => undefined);
  if (!control) return { state: 'absent' };

  const got = createHash('sha1').update(control).digest('hex');
  if (got !== sha1) return { state: 'corrupt', reason: `control file hashes to ${got}` };
  let datahash: string | undefined;
  try {
    const member = readGzipMember(control, 0, label, MAX_CONTROL);
    const info = member && parseTar(member.content, label).find((e) => e.name === '.PKGINFO');
    datahash = info && parsePkgInfo(info.data.toString('utf8'), label).get('datahash');
  } catch (err) {
    return { state: 'corrupt', reason: `control file unreadable: ${(err as Error).message}` };
  }
  if (!datahash || !/^[0-9a-f]{64}$/i.test(datahash)) {
    return { state: 'corrupt', reason: 'control file has no datahash' };
  }
  datahash = datahash.toLowerCase();

  const dataPath = join(dir, `${datahash}.dat.tar.gz`);
  const dataStat = await stat(dataPath).catch(() => undefined);
  if (!dataStat?.isFile()) return { state: 'corrupt', reason: 'data file is missing' };
  const signaturePath = join(dir, `${sha1}.sig.tar.gz`);
  const sigStat = await stat(signaturePath).catch(() => undefined);
  const sizes = { signature: sigStat?.size ?? 0, control: control.length, data: dataStat.size };
  if (pkg.size !== undefined && sizes.signature + sizes.control + sizes.data !== pkg.size) {
    return {
      state: 'corrupt',
      reason:
        `sections add up to ${sizes.signature + sizes.control + sizes.data} bytes, ` +
        `index says ${pkg.size}`,
    };
  }
  if (options.rehashData) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(dataPath)) hash.update(chunk as Buffer);
    const dataGot = hash.digest('hex');
    if (dataGot !== datahash) return { state: 'corrupt', reason: `data file hashes to ${dataGot}` };
  }
  return {
    state: 'complete',
    entry: {
      dir,
      controlPath,
      dataPath,
      ...(sigStat ? { signaturePath } : {}),
      controlSha1: sha1,
      dataSha256: datahash,
      sizes,
    },
  };
}

/** Device, inode, size, mtime and ctime of each file of `entry`; undefined if one is missing. */
async function fileStamps(entry: EntryFiles): Promise<string | undefined> {
  const paths = [entry.controlPath, entry.dataPath, entry.signaturePath ?? ''];
  const stats = await Promise.all(
    paths.map((p) => (p === '' ? Promise.resolve(undefined) : stat(p).catch(() => null))),
  );
  if (stats.some((s) => s === null)) return undefined;
  // ctime cannot be set back by utimes(), so an in-place rewrite always shows.
  return stats
    .map((s) => (s ? `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}` : '-'))
    .join(' ');
}

/**
 * Entries this process has verified, each with the identity its files had then. Keys name an
 * entry and the index record it was checked against (directory, checksum, size).
 */
export class VerifiedEntries {
  readonly #entries = new Map<string, { entry: EntryFiles; stamps: string }>();

  /** The remembered entry for `key`, if its files are still the ones that were verified. */
  async get(key: string): Promise<EntryFiles | undefined> {
    const known = this.#entries.get(key);
    if (!known) return undefined;
    if ((await fileStamps(known.entry)) === known.stamps) return known.entry;
    this.#entries.delete(key);
    return undefined;
  }

  /** Remembers `entry`, just verified, with the current identity of its files. */
  async remember(key: string, entry: EntryFiles): Promise<void> {
    const stamps = await fileStamps(entry);
    if (stamps === undefined) this.#entries.delete(key);
    else this.#entries.set(key, { entry, stamps });
  }
}
