/**
 * Files apkgraph adds on top of the packages, in apko's order: the apk database and
 * configuration (`etc/apk/*`, `lib/apk/db/*`), then accounts, then the config's `paths`
 * mutations. Generated paths resolve through package symlinks like package files do, so on a
 * usr-merged base `lib/apk/db` lands in `usr/lib/apk/db`.
 */
import { createHash } from 'node:crypto';
import { ApkgraphError } from '../errors.js';
import { normalizeEntryPath } from '../tar/entry-path.js';
import type { FileTree, TreeNode } from './file-tree.js';
import type { BodySpool } from './spool.js';
import type { ImageAccounts, ImagePathMutation, ImageSpec } from './types.js';

/** Owner index of generated entries. */
const GENERATED = -1;

/** Writes files into a tree with fixed metadata and a fixed time. */
export class TreeEditor {
  constructor(
    readonly tree: FileTree,
    readonly spool: BodySpool,
    readonly mtime: number,
  ) {}

  /** Config paths are absolute inside the image; they resolve like package paths. */
  #resolve(path: string): string {
    return this.tree.resolve(normalizeEntryPath(path.replace(/^\/+/, '')));
  }

  #put(path: string, node: Omit<TreeNode, 'mtime' | 'owner'>, owner = GENERATED): void {
    this.tree.set(path, { ...node, mtime: this.mtime, owner }, { mtime: this.mtime, owner });
  }

  /** Creates or replaces a regular file. A file a package shipped keeps its owner. */
  writeFile(path: string, data: string | Buffer, mode = 0o644, uid = 0, gid = 0): void {
    const resolved = this.#resolve(path);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const existing = this.tree.get(resolved);
    if (existing?.type === 'directory') {
      throw new ApkgraphError('ERR_BUILD', `cannot write file "${path}": a directory is there`, {
        path,
        hint: 'check the image config and the packages for a clash on this path',
      });
    }
    this.#put(
      resolved,
      {
        type: 'file',
        mode,
        uid,
        gid,
        size: bytes.length,
        sha1: createHash('sha1').update(bytes).digest('hex'),
        body: bytes.length === 0 ? { kind: 'empty' } : { kind: 'inline', data: bytes },
      },
      existing?.owner ?? GENERATED,
    );
  }

  /** Creates a directory, or updates its metadata if it exists. */
  mkdir(path: string, mode = 0o755, uid = 0, gid = 0): void {
    const resolved = this.#resolve(path);
    const existing = this.tree.get(resolved);
    if (existing?.type === 'directory') {
      Object.assign(existing, { mode, uid, gid });
      return;
    }
    if (existing?.type === 'symlink') return;
    this.#put(resolved, { type: 'directory', mode, uid, gid, size: 0 });
  }

  /** The current content of a regular file, or undefined if there is none. */
  async readFile(path: string): Promise<Buffer | undefined> {
    const node = this.tree.get(this.#resolve(path));
    if (node?.type !== 'file' || !node.body) return undefined;
    if (node.body.kind === 'inline') return node.body.data;
    if (node.body.kind === 'empty') return Buffer.alloc(0);
    return this.spool.readAll(node.body.offset, node.body.size);
  }

  /** Applies one `paths` entry of an apko config. */
  applyPath(m: ImagePathMutation): void {
    const uid = m.uid ?? 0;
    const gid = m.gid ?? 0;
    const badInput = (why: string): ApkgraphError =>
      new ApkgraphError('ERR_CONFIG', `paths entry "${m.path}" (${m.type}): ${why}`, {
        hint: 'fix the paths section of the image config',
      });
    switch (m.type) {
      case 'directory':
        this.mkdir(m.path, m.permissions ?? 0o755, uid, gid);
        return;
      case 'empty-file':
        this.writeFile(m.path, '', m.permissions ?? 0o644, uid, gid);
        return;
      case 'symlink': {
        if (!m.source) throw badInput('needs a source');
        const resolved = this.#resolve(m.path);
        const sha1 = createHash('sha1').update(m.source).digest('hex');
        this.#put(resolved, {
          type: 'symlink',
          mode: 0o777,
          uid,
          gid,
          size: 0,
          linkname: m.source,
          sha1,
        });
        return;
      }
      case 'hardlink': {
        if (!m.source) throw badInput('needs a source');
        const target = this.#resolve(m.source);
        const t = this.tree.get(target);
        if (t?.type !== 'file') throw badInput(`source "${m.source}" is not a regular file`);
        this.#put(this.#resolve(m.path), { ...t, type: 'link', linkname: target });
        return;
      }
      case 'permissions': {
        const resolved = this.#resolve(m.path);
        if (!this.tree.get(resolved)) throw badInput('no such path in the image');
        const targets = m.recursive
          ? [...this.tree.below(resolved)]
          : [[resolved, this.tree.get(resolved)]];
        for (const [, node] of targets as Array<[string, TreeNode]>) {
          if (node.type === 'symlink') continue;
          if (m.permissions !== undefined) node.mode = m.permissions & 0o7777;
          node.uid = uid;
          node.gid = gid;
        }
        return;
      }
    }
  }
}

/** Writes apk's own files: world, repositories, keys, arch and the database. */
export function writeApkFiles(
  ed: TreeEditor,
  opts: {
    arch: string;
    world: string[];
    repositories: string[];
    keys: Array<{ name: string; pem: string }>;
    installedDb: string;
  },
): void {
  const lines = (xs: readonly string[]): string => xs.map((x) => `${x}\n`).join('');
  ed.mkdir('etc/apk/keys');
  ed.writeFile('etc/apk/world', lines([...new Set(opts.world)].sort()));
  ed.writeFile('etc/apk/repositories', lines(opts.repositories));
  ed.writeFile('etc/apk/arch', `${opts.arch}\n`);
  for (const key of opts.keys) {
    if (key.name.includes('/') || key.name.startsWith('.')) {
      throw new ApkgraphError('ERR_CONFIG', `bad key name "${key.name}"`, {
        hint: 'key names are plain file names such as wolfi-signing.rsa.pub',
      });
    }
    ed.writeFile(`etc/apk/keys/${key.name}`, key.pem);
  }
  ed.mkdir('lib/apk/db');
  ed.writeFile('lib/apk/db/installed', opts.installedDb);
  ed.writeFile('lib/apk/db/lock', '');
  ed.writeFile('lib/apk/db/triggers', '');
  ed.mkdir('var/cache/apk');
}

/** Appends apko `accounts` to `etc/passwd` and `etc/group`, and creates home directories. */
export async function writeAccounts(
  ed: TreeEditor,
  accounts: ImageAccounts | undefined,
): Promise<void> {
  const users = accounts?.users ?? [];
  const groups = accounts?.groups ?? [];
  if (users.length === 0 && groups.length === 0) return;

  const append = async (path: string, newLines: Map<string, string>): Promise<void> => {
    const text = (await ed.readFile(path))?.toString('utf8') ?? '';
    const have = new Set(text.split('\n').map((l) => l.split(':', 1)[0]));
    const added = [...newLines].filter(([name]) => !have.has(name)).map(([, line]) => `${line}\n`);
    if (added.length === 0 && text !== '') return;
    const base = text === '' || text.endsWith('\n') ? text : `${text}\n`;
    ed.writeFile(path, base + added.join(''));
  };

  const groupLines = new Map(
    groups.map((g) => [g.groupname, `${g.groupname}:x:${g.gid}:${(g.members ?? []).join(',')}`]),
  );
  const userLines = new Map(
    users.map((u) => {
      const home = u.homedir ?? `/home/${u.username}`;
      const shell = u.shell ?? '/bin/sh';
      return [
        u.username,
        `${u.username}:x:${u.uid}:${u.gid ?? u.uid}:Account created by apkgraph:${home}:${shell}`,
      ];
    }),
  );
  if (groups.length > 0) await append('etc/group', groupLines);
  if (users.length > 0) await append('etc/passwd', userLines);
  for (const u of users) {
    const home = normalizeEntryPath((u.homedir ?? `/home/${u.username}`).replace(/^\/+/, ''));
    if (home !== '' && !ed.tree.get(ed.tree.resolve(home)))
      ed.mkdir(home, 0o755, u.uid, u.gid ?? u.uid);
  }
}

/** Applies everything the image spec asks of the filesystem, after the packages. */
export async function applyImageSpec(ed: TreeEditor, image: ImageSpec): Promise<void> {
  await writeAccounts(ed, image.accounts);
  for (const m of image.paths ?? []) ed.applyPath(m);
}
