/**
 * Installs one package's data tar into a {@link FileTree}: the shared data-tar reader checks
 * each entry's path and its SHA-1 against the package's PAX checksum (the SHA-1 is also the
 * `Z:` checksum of the installed db), each body is appended to the spool, and apk's overwrite
 * rules decide who owns a path that two packages ship.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { readDataTar, type DataTarEntry } from '../apk/data-tar.js';
import { ApkgraphError, wrapError } from '../errors.js';
import { normalizeEntryPath } from '../tar/entry-path.js';
import {
  decideOverwrite,
  type FileBody,
  type FileTree,
  type OwnerInfo,
  type TreeNode,
} from './file-tree.js';
import type { BodySpool } from './spool.js';

/** What one installed package contributed, for the installed db. */
export interface InstalledFiles {
  /** Paths the package shipped (after symlink resolution), in tar order. */
  paths: string[];
  /** Newest mtime in the package, seconds. */
  newestMtime: number;
}

const XATTR_PREFIX = 'SCHILY.xattr.';

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
 * order; `owners` describes every package installed so far (including this one). The data
 * reader checks each file against its `APK-TOOLS.checksum.SHA1` before the file is placed.
 */
export async function installPackage(
  tree: FileTree,
  spool: BodySpool,
  dataPath: string,
  index: number,
  owners: readonly OwnerInfo[],
  options: {
    signal?: AbortSignal;
    /** The package's tar, already being decompressed (see `gunzipAhead`); else `dataPath`. */
    tar?: Readable;
  } = {},
): Promise<InstalledFiles> {
  const me = owners[index] as OwnerInfo;
  const label = `${me.name}-${me.version}`;
  const result: InstalledFiles = { paths: [], newestMtime: 0 };

  // The node being read, and for regular files where its body starts in the spool.
  let current: { node: TreeNode; path: string } | undefined;
  let size = 0;

  const onEntry = (e: DataTarEntry): void => {
    current = undefined;
    result.newestMtime = Math.max(result.newestMtime, e.mtime);
    if (e.path === '') return;
    const node: TreeNode = {
      type: e.type,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      mtime: e.mtime,
      size: 0,
      owner: index,
    };
    const xattrs = xattrsOf(e.pax);
    if (xattrs) node.xattrs = xattrs;
    if (e.type === 'char' || e.type === 'block') {
      node.devmajor = e.devmajor ?? 0;
      node.devminor = e.devminor ?? 0;
    } else if (e.type === 'symlink') {
      node.linkname = e.linkname ?? '';
    } else if (e.type === 'link') {
      const target = tree.resolve(normalizeEntryPath(e.linkname ?? '', label), label);
      const t = tree.get(target);
      if (t?.type !== 'file') {
        throw new ApkgraphError(
          'ERR_APK_FORMAT',
          `hardlink "${e.path}" in ${label} points to "${target}", ` +
            `which is not a file installed before it`,
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
    } else if (e.type === 'file') {
      node.body = { kind: 'spool', offset: spool.offset, size: 0 };
      size = 0;
    }
    current = { node, path: tree.resolve(e.path, label) };
  };

  const onData = async (chunk: Buffer): Promise<void> => {
    if (current?.node.type !== 'file') return;
    size += chunk.length;
    await spool.append(chunk);
  };

  const onEnd = (_e: DataTarEntry, sha1: string | undefined): void => {
    if (!current) return;
    const { node, path } = current;
    current = undefined;
    if (node.type === 'file') {
      node.size = size;
      node.sha1 = sha1;
      node.body = size === 0 ? { kind: 'empty' } : { ...(node.body as FileBodyInSpool), size };
    } else if (node.type === 'symlink') {
      node.sha1 = sha1;
    }
    if (placeNode(tree, path, node, owners, label)) result.paths.push(path);
  };

  try {
    await readDataTar(
      options.tar ?? createReadStream(dataPath),
      { entry: onEntry, data: onData, end: onEnd },
      {
        source: label,
        decompressed: options.tar !== undefined,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
  } catch (err) {
    throw wrapError(`installing ${label}`, err, failureCode(err), {
      package: label,
      path: dataPath,
    });
  }
  return result;
}

type FileBodyInSpool = Extract<FileBody, { kind: 'spool' }>;

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
      `${label} installs "${path}" as a ${node.type}, but ` +
        `${other ? `${other.name}-${other.version}` : 'the image'} has a ${existing.type} there`,
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
