/**
 * Installs one package's data tar into a {@link FileTree}: each entry is checked for a safe
 * path, its body is hashed (SHA-1, the `Z:` checksum of the installed db, checked against the
 * package's own PAX checksum) and appended to the spool, and apk's overwrite rules decide who
 * owns a path that two packages ship.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { ApkgraphError, throwIfAborted, wrapError } from '../errors.js';
import type { TarEntryType } from '../oci/tar-writer.js';
import {
  decideOverwrite,
  normalizeEntryPath,
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

const TYPES: Partial<Record<Header['type'], TarEntryType>> = {
  file: 'file',
  'contiguous-file': 'file',
  link: 'link',
  symlink: 'symlink',
  directory: 'directory',
  'character-device': 'char',
  'block-device': 'block',
  fifo: 'fifo',
};

const XATTR_PREFIX = 'SCHILY.xattr.';
const APK_SHA1 = 'APK-TOOLS.checksum.SHA1';

function xattrsOf(pax: Record<string, string> | undefined): Array<[string, Buffer]> | undefined {
  if (!pax) return undefined;
  const out: Array<[string, Buffer]> = [];
  for (const [key, value] of Object.entries(pax)) {
    // TODO(correctness): tar-stream decodes PAX values as UTF-8, so a binary xattr value
    // (security.capability) is mangled here; reading the raw record bytes would fix it.
    if (key.startsWith(XATTR_PREFIX)) out.push([key, Buffer.from(value, 'utf8')]);
  }
  out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
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
  const tar = extract();
  source.pipe(gunzip).pipe(tar);
  const fail = (err: unknown): void => {
    tar.destroy(err instanceof Error ? err : new Error(String(err)));
  };
  source.on('error', fail);
  gunzip.on('error', fail);

  try {
    for await (const entry of tar) {
      throwIfAborted(options.signal);
      const h = entry.header;
      const pax = (h.pax ?? undefined) as Record<string, string> | undefined;
      const type = h.type ? TYPES[h.type] : undefined;
      if (type === undefined) {
        entry.resume();
        continue;
      }
      const mtime = Math.floor((h.mtime?.getTime() ?? 0) / 1000);
      result.newestMtime = Math.max(result.newestMtime, mtime);
      const name = normalizeEntryPath(h.name, label);
      if (name === '') {
        entry.resume();
        continue;
      }
      const path = tree.resolve(name, label);

      const node: TreeNode = {
        type,
        mode: (h.mode ?? 0o644) & 0o7777,
        uid: h.uid ?? 0,
        gid: h.gid ?? 0,
        mtime,
        size: 0,
        owner: index,
      };
      const xattrs = xattrsOf(pax);
      if (xattrs) node.xattrs = xattrs;
      if (type === 'char' || type === 'block') {
        node.devmajor = h.devmajor ?? 0;
        node.devminor = h.devminor ?? 0;
      }

      if (type === 'file') {
        const offset = spool.offset;
        const hash = createHash('sha1');
        let size = 0;
        for await (const chunk of entry as AsyncIterable<Buffer>) {
          hash.update(chunk);
          size += chunk.length;
          await spool.append(chunk);
        }
        node.size = size;
        node.sha1 = hash.digest('hex');
        node.body = size === 0 ? { kind: 'empty' } : { kind: 'spool', offset, size };
        const declared = pax?.[APK_SHA1];
        if (declared !== undefined && declared.toLowerCase() !== node.sha1) {
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
      } else {
        entry.resume();
        if (type === 'symlink') {
          node.linkname = h.linkname ?? '';
          node.sha1 = createHash('sha1').update(node.linkname).digest('hex');
        } else if (type === 'link') {
          const target = tree.resolve(normalizeEntryPath(h.linkname ?? '', label), label);
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
          // A hardlink is the same inode: it has its target's owner and mode.
          Object.assign(node, { linkname: target, mode: t.mode, uid: t.uid, gid: t.gid });
          node.sha1 = t.sha1;
          node.size = t.size;
          if (t.body) node.body = t.body;
        }
      }

      if (placeNode(tree, path, node, owners, label)) result.paths.push(path);
    }
  } catch (err) {
    source.destroy();
    throw wrapError(`installing ${label}`, err, 'ERR_TAR', { package: label, path: dataPath });
  }
  return result;
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
