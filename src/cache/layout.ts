/**
 * The on-disk layout of the shared APK cache. It follows go-apk's, so the same directory can be
 * inspected with the same habits (and the names carry the hashes that verify the contents):
 *
 *     <root>/<queryescape(repo)>/<arch>/APKINDEX/<base32(etag)>.tar.gz
 *     <root>/<queryescape(repo)>/<arch>/<name>-<version>/<hex sha1 control>.ctl.tar.gz
 *                                                        <hex sha1 control>.sig.tar.gz
 *                                                        <hex sha256 data>.dat.tar.gz
 *
 * `repo` is the original repository URL without the arch, never a mirror.
 */
import { homedir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { ApkgraphError } from '../errors.js';
import { base32, normalizeRepository, queryEscape } from '../repo/location.js';

/** The identity of one package in one repository, as the index names it. */
export interface PackageRef {
  /** The original repository URL or path (never a mirror), without the arch. */
  repository: string;
  arch: string;
  name: string;
  version: string;
  /** `C:` from the index, `Q1` + base64 SHA-1 of the control stream. */
  checksum?: string;
  /** `S:` from the index: the size of the whole .apk in bytes. */
  size?: number;
}

/** Paths of one package's cache entries. */
export interface EntryPaths {
  /** `<root>/<repo>/<arch>/<name>-<version>`. */
  dir: string;
  /** The control file, known only when the index gave a checksum. */
  controlPath?: string;
  signaturePath?: string;
  /** The cross-process lock for this package. */
  lockPath: string;
}

/** The default cache root: `$XDG_CACHE_HOME/apkgraph`, else `~/.cache/apkgraph`. */
export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache');
  return join(base, 'apkgraph');
}

/** `Q1<base64>` → 40 hex digits, or an error naming the package. */
export function checksumToHex(checksum: string, what = 'package'): string {
  if (!checksum.startsWith('Q1')) {
    throw new ApkgraphError('ERR_INDEX_FORMAT', `unsupported checksum "${checksum}" for ${what}`, {
      package: what,
      hint: 'only Q1 (SHA-1) checksums from an APKINDEX are understood',
    });
  }
  const raw = Buffer.from(checksum.slice(2), 'base64');
  if (raw.length !== 20) {
    throw new ApkgraphError('ERR_INDEX_FORMAT', `malformed checksum "${checksum}" for ${what}`, {
      package: what,
      hint: 'the C: field must be Q1 followed by the base64 of 20 bytes',
    });
  }
  return raw.toString('hex');
}

/** 40 hex digits → `Q1<base64>`. */
export function hexToChecksum(hex: string): string {
  return `Q1${Buffer.from(hex, 'hex').toString('base64')}`;
}

/** Computes every path in the cache from a root. Pure: touches no files. */
export class CacheLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** `<root>/<queryescape(repo)>`. */
  repositoryDir(repository: string): string {
    return this.#inside(join(this.root, queryEscape(normalizeRepository(repository))));
  }

  archDir(repository: string, arch: string): string {
    return this.#inside(join(this.repositoryDir(repository), safeSegment(arch, 'arch')));
  }

  indexDir(repository: string, arch: string): string {
    return join(this.archDir(repository, arch), 'APKINDEX');
  }

  /** The cached index for one ETag. */
  indexPath(repository: string, arch: string, etag: string): string {
    return join(this.indexDir(repository, arch), `${base32(etag)}.tar.gz`);
  }

  packageDir(pkg: PackageRef): string {
    const stem = safeSegment(`${pkg.name}-${pkg.version}`, 'package');
    return this.#inside(join(this.archDir(pkg.repository, pkg.arch), stem));
  }

  entryPaths(pkg: PackageRef): EntryPaths {
    const dir = this.packageDir(pkg);
    const lockPath = join(dir, '.lock');
    if (pkg.checksum === undefined) return { dir, lockPath };
    const sha1 = checksumToHex(pkg.checksum, `${pkg.name}-${pkg.version}`);
    return {
      dir,
      lockPath,
      controlPath: join(dir, `${sha1}.ctl.tar.gz`),
      signaturePath: join(dir, `${sha1}.sig.tar.gz`),
    };
  }

  controlPath(dir: string, sha1Hex: string): string {
    return join(dir, `${sha1Hex}.ctl.tar.gz`);
  }

  signaturePath(dir: string, sha1Hex: string): string {
    return join(dir, `${sha1Hex}.sig.tar.gz`);
  }

  dataPath(dir: string, sha256Hex: string): string {
    return join(dir, `${sha256Hex}.dat.tar.gz`);
  }

  /** Refuses any path that would leave the root (a hostile package name or arch). */
  #inside(path: string): string {
    const rel = relative(this.root, path);
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..') {
      throw new ApkgraphError('ERR_UNSAFE_PATH', `cache path escapes the cache root: ${path}`, {
        path,
        hint: 'a package name, version or arch contains path separators; check the index',
      });
    }
    return path;
  }
}

function safeSegment(s: string, what: string): string {
  if (s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\0')) {
    throw new ApkgraphError('ERR_UNSAFE_PATH', `unsafe ${what} name "${s}" for a cache path`, {
      hint: 'package names, versions and arches must not contain "/"',
    });
  }
  return s;
}
