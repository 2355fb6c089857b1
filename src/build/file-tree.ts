/**
 * The root filesystem of an image being assembled, as metadata only.
 *
 * Packages are installed in order into a map from path to node; file bodies stay in a spool
 * file (see `spool.ts`) and are copied into the layer only at the end. Keeping the tree as
 * metadata is what lets a later package override or conflict with an earlier file before
 * anything is written, and keeps memory proportional to the number of files, not their size.
 *
 * Paths are relative to the image root, normalised, and resolved through symlinks that are
 * already in the tree the way a chroot would (absolute targets start at the image root). A path
 * that leaves the root (`..` above it, or a symlink whose target climbs above it) is refused.
 */
import { ApkgraphError } from '../errors.js';
import { unsafePathError as unsafe } from '../tar/entry-path.js';
import type { TarEntryType } from '../tar/tar-encoder.js';

/** Where a regular file's bytes are. */
export type FileBody =
  | { kind: 'spool'; offset: number; size: number }
  | { kind: 'inline'; data: Buffer }
  | { kind: 'empty' };

/** One path of the tree. */
export interface TreeNode {
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** Symlink target as written, or the resolved hardlink target path. */
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Regular files only. */
  body?: FileBody;
  /** Size of the body (regular files). */
  size: number;
  /** Hex SHA-1 of the content (regular files, hardlinks) or of the link target (symlinks). */
  sha1?: string;
  /** PAX xattr records (`SCHILY.xattr.*`). */
  xattrs?: Array<[string, Buffer]>;
  /** Index of the owning package in install order, or -1 for files apkgraph generated. */
  owner: number;
}

/** The facts about a package that the conflict rules need. */
export interface OwnerInfo {
  name: string;
  version: string;
  origin?: string;
  replaces: string[];
}

const MAX_SYMLINK_HOPS = 40;

/** The name part of a `replaces` entry such as `foo`, `foo=1.2-r0` or `foo<2`. */
function constraintName(spec: string): string {
  return spec.split(/[<>=~]/, 1)[0] ?? spec;
}

/** What to do when a package writes a path another package already owns. */
export type OverwriteDecision = 'take' | 'keep';

/**
 * apk's rule for a file written twice: the same package or origin, or a package that replaces
 * the owner, takes the file; if the owner replaces the newcomer, the owner keeps it; identical
 * content is allowed; anything else is a conflict.
 */
export function decideOverwrite(
  path: string,
  old: OwnerInfo,
  incoming: OwnerInfo,
  identical: boolean,
): OverwriteDecision {
  if (old.name === incoming.name) return 'take';
  if (old.origin !== undefined && old.origin === incoming.origin) return 'take';
  if (incoming.replaces.some((r) => constraintName(r) === old.name)) return 'take';
  if (old.replaces.some((r) => constraintName(r) === incoming.name)) return 'keep';
  if (identical) return 'take';
  throw new ApkgraphError(
    'ERR_FILE_CONFLICT',
    `${incoming.name}-${incoming.version} and ${old.name}-${old.version} both install ` +
      `"${path}" with different content`,
    {
      package: `${incoming.name}-${incoming.version}`,
      hint:
        `remove one of the two packages, or use a version of ${incoming.name} ` +
        `that declares "replaces=${old.name}"`,
    },
  );
}

/** The metadata tree of an image. */
export class FileTree {
  readonly #nodes = new Map<string, TreeNode>();

  get size(): number {
    return this.#nodes.size;
  }

  get(path: string): TreeNode | undefined {
    return this.#nodes.get(path);
  }

  /**
   * Every path in a fixed order (UTF-16 code units, which is bytewise for ASCII names), so a
   * parent always precedes its children and the layer never depends on install history.
   */
  sortedPaths(): string[] {
    return [...this.#nodes.keys()].sort();
  }

  /** Puts `node` at `path` (already resolved), creating missing parent directories. */
  set(path: string, node: TreeNode, dirDefaults: { mtime: number; owner: number }): void {
    this.#ensureParents(path, dirDefaults);
    this.#nodes.set(path, node);
  }

  delete(path: string): void {
    this.#nodes.delete(path);
  }

  /** Paths at or below `path`. */
  *below(path: string): Generator<[string, TreeNode]> {
    const prefix = path === '' ? '' : `${path}/`;
    for (const entry of this.#nodes) {
      if (entry[0] === path || entry[0].startsWith(prefix)) yield entry;
    }
  }

  #ensureParents(path: string, dirDefaults: { mtime: number; owner: number }): void {
    const cut = path.lastIndexOf('/');
    if (cut < 0) return;
    const parent = path.slice(0, cut);
    const existing = this.#nodes.get(parent);
    if (existing) {
      if (existing.type !== 'directory') throw unsafe(path, `"${parent}" is not a directory`);
      return;
    }
    this.#ensureParents(parent, dirDefaults);
    this.#nodes.set(parent, {
      type: 'directory',
      mode: 0o755,
      uid: 0,
      gid: 0,
      size: 0,
      mtime: dirDefaults.mtime,
      owner: dirDefaults.owner,
    });
  }

  /**
   * Resolves the directories of `path` through symlinks in the tree, chroot-style. The last
   * component is not followed, so a symlink can itself be replaced or reported.
   */
  resolve(path: string, pkg?: string): string {
    let hops = 0;
    const pending = path === '' ? [] : path.split('/');
    const last = pending.pop();
    if (last === undefined) return '';
    const done: string[] = [];
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (done.length === 0) throw unsafe(path, 'a symlink leads above the image root', pkg);
        done.pop();
        continue;
      }
      const here = done.length === 0 ? part : `${done.join('/')}/${part}`;
      const node = this.#nodes.get(here);
      if (node?.type !== 'symlink') {
        done.push(part);
        continue;
      }
      if (++hops > MAX_SYMLINK_HOPS) throw unsafe(path, 'too many levels of symlinks', pkg);
      const target = node.linkname ?? '';
      if (target.startsWith('/')) done.length = 0;
      pending.unshift(...target.split('/'));
    }
    if (last === '..' || last === '.') throw unsafe(path, `ends in "${last}"`, pkg);
    return done.length === 0 ? last : `${done.join('/')}/${last}`;
  }
}
