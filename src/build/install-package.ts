/**
 * Installs one package's data tar into a {@link FileTree}: each entry is checked for a safe
 * path, its body is hashed (SHA-1, the `Z:` checksum of the installed db, checked against the
 * package's own PAX checksum) and appended to the spool, and apk's overwrite rules decide who
 * owns a path that two packages ship.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { ApkgraphError, throwIfAborted, wrapError } from '../errors.js';
import {
  decideOverwrite,
  normalizeEntryPath,
  type FileBody,
  type FileTree,
  type OwnerInfo,
  type TreeNode,
} from './file-tree.js';
import type { BodySpool } from './spool.js';
import { readTar, type RawTarHeader } from './tar-reader.js';

/** What one installed package contributed, for the installed db. */
export interface InstalledFiles {
  /** Paths the package shipped (after symlink resolution), in tar order. */
  paths: string[];
  /** Newest mtime in the package, seconds. */
  newestMtime: number;
}

const XATTR_PREFIX = 'SCHILY.xattr.';
const APK_SHA1 = 'APK-TOOLS.checksum.SHA1';

function xattrsOf(pax: Map<string, Buffer>): Array<[string, Buffer]> | undefined {
  const out = [...pax].filter(([key]) => key.startsWith(XATTR_PREFIX));
  out.sort((x, y) => (x[0] < y[0] ? -1 : 1));
  return out.length > 0 ? out : undefined;
}

function sameContent(a: TreeNode, b: TreeNode): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'symlink') return a.linkname === b.linkname;
  return a.sha1 !== undefined && a.sha1 === b.sha1;
}

/**
 * Streams the data tar at `dataPath` into `tree`. `index` is the package's place in install
 * order; `owners` describes every package installed so far (including this one).
 */
export async function installPackage(
  tree: FileTree,
  spool: BodySpool,
  dataPath: string,
  index: number,
  owners: readonly OwnerInfo[],
  options: { signal?: AbortSignal } = {},
): Promise<InstalledFiles> {
  const me = owners[index] as OwnerInfo;
  const label = `${me.name}-${me.version}`;
  const result: InstalledFiles = { paths: [], newestMtime: 0 };
  const source = createReadStream(dataPath);
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  source.pipe(gunzip);

  // State of the entry being read: its node, and for regular files the running hash.
  let current: { node: TreeNode; path: string; name: string; declared?: string } | undefined;
  let hash = createHash('sha1');
  let size = 0;

  const onEntry = (h: RawTarHeader): void => {
    throwIfAborted(options.signal);
    current = undefined;
    if (h.type === undefined) return;
    result.newestMtime = Math.max(result.newestMtime, h.mtime);
    const name = normalizeEntryPath(h.name, label);
    if (name === '') return;
    const node: TreeNode = {
      type: h.type,
      mode: h.mode & 0o7777,
      uid: h.uid,
      gid: h.gid,
      mtime: h.mtime,
      size: 0,
      owner: index,
    };
    const xattrs = xattrsOf(h.pax);
    if (xattrs) node.xattrs = xattrs;
    if (h.type === 'char' || h.type === 'block') {
      node.devmajor = h.devmajor;
      node.devminor = h.devminor;
    } else if (h.type === 'symlink') {
      node.linkname = h.linkname;
      node.sha1 = createHash('sha1').update(h.linkname).digest('hex');
    } else if (h.type === 'link') {
      const target = tree.resolve(normalizeEntryPath(h.linkname, label), label);
      const t = tree.get(target);
      if (t?.type !== 'file') {
        throw new ApkgraphError(
          'ERR_APK_FORMAT',
          `hardlink "${name}" in ${label} points to "${target}", which is not a file installed before it`,
          {
            package: label,
            path: dataPath,
            hint: 'the package is malformed; report it to its maintainers',
          },
        );
      }
      // A hardlink is the same inode: it has its target's owner, mode and content.
      Object.assign(node, { linkname: target, mode: t.mode, uid: t.uid, gid: t.gid });
      node.sha1 = t.sha1;
      node.size = t.size;
      if (t.body) node.body = t.body;
    } else if (h.type === 'file') {
      node.body = { kind: 'spool', offset: spool.offset, size: 0 };
      hash = createHash('sha1');
      size = 0;
    }
    const declared = h.pax.get(APK_SHA1)?.toString('ascii').toLowerCase();
    current = { node, path: tree.resolve(name, label), name, ...(declared ? { declared } : {}) };
  };

  const onData = async (chunk: Buffer): Promise<void> => {
    if (current?.node.type !== 'file') return;
    hash.update(chunk);
    size += chunk.length;
    await spool.append(chunk);
  };

  const onEnd = (): void => {
    if (!current) return;
    const { node, path, name, declared } = current;
    current = undefined;
    if (node.type === 'file') {
      node.size = size;
      node.sha1 = hash.digest('hex');
      node.body =
        size === 0 ? { kind: 'empty' } : { ...(node.body as FileBody & { kind: 'spool' }), size };
      if (declared !== undefined && declared !== node.sha1) {
        throw new ApkgraphError(
          'ERR_APK_CHECKSUM',
          `"${name}" in ${label} has SHA-1 ${node.sha1}, but the package declares ${declared}`,
          {
            package: label,
            path: dataPath,
            hint: 'the cached package is corrupt; remove it from the cache and fetch it again',
          },
        );
      }
    }
    if (placeNode(tree, path, node, owners, label)) result.paths.push(path);
  };

  try {
    await readTar(gunzip, { entry: onEntry, data: onData, end: onEnd }, label);
  } catch (err) {
    source.destroy();
    gunzip.destroy();
    throw wrapError(`installing ${label}`, err, failureCode(err), {
      package: label,
      path: dataPath,
    });
  }
  return result;
}

/** The code for a non-apkgraph failure: a damaged gzip stream, a disk error, else bad tar data. */
function failureCode(err: unknown): 'ERR_GZIP' | 'ERR_IO' | 'ERR_TAR' {
  const { code, syscall } = err as { code?: unknown; syscall?: unknown };
  if (typeof code === 'string' && code.startsWith('Z_')) return 'ERR_GZIP';
  // Node system errors carry `syscall`; the spool's disk writes fail that way.
  if (typeof syscall === 'string' || (typeof code === 'string' && /^E[A-Z]+$/.test(code))) {
    return 'ERR_IO';
  }
  return 'ERR_TAR';
}

/** Applies the overwrite rules; returns whether the package now owns `path`. */
function placeNode(
  tree: FileTree,
  path: string,
  node: TreeNode,
  owners: readonly OwnerInfo[],
  label: string,
): boolean {
  const existing = tree.get(path);
  const dirDefaults = { mtime: node.mtime, owner: node.owner };
  if (!existing) {
    tree.set(path, node, dirDefaults);
    return true;
  }
  if (node.type === 'directory') {
    // Directories are shared: the first package to create one sets its metadata, as apk does.
    if (existing.type === 'directory') return true;
    // A usr-merged base ships `lib` as a symlink to `usr/lib`; later packages' `lib/` is that.
    if (existing.type === 'symlink') return false;
  }
  if (existing.type === 'directory' || node.type === 'directory') {
    const other = existing.owner >= 0 ? owners[existing.owner] : undefined;
    throw new ApkgraphError(
      'ERR_FILE_CONFLICT',
      `${label} installs "${path}" as a ${node.type}, but ${other ? `${other.name}-${other.version}` : 'the image'} has a ${existing.type} there`,
      { package: label, hint: 'the two packages cannot be installed together; remove one of them' },
    );
  }
  if (existing.owner === node.owner || existing.owner < 0) {
    tree.set(path, node, dirDefaults);
    return true;
  }
  const old = owners[existing.owner] as OwnerInfo;
  const me = owners[node.owner] as OwnerInfo;
  if (decideOverwrite(path, old, me, sameContent(existing, node)) === 'keep') return false;
  tree.set(path, node, dirDefaults);
  return true;
}
