/**
 * Renders `lib/apk/db/installed`, apk's record of what is installed, so that `apk` inside the
 * image (and scanners that read the db) see exactly the packages and files of the layer.
 *
 * Each package is one stanza of index fields followed by its files: `F:` opens a directory
 * (with `M:uid:gid:mode` when it is not root-owned 0755), `R:` names a file in it, `a:` gives
 * its owner and mode when not root-owned 0644, and `Z:` its checksum, `Q1` + base64 SHA-1 of
 * the content (of the target, for symlinks). Only paths the package still owns are listed.
 */
import type { FileTree } from './file-tree.js';
import type { InstalledFiles } from './install-package.js';
import type { BuildPackage } from './types.js';

function q1(hexSha1: string): string {
  return `Q1${Buffer.from(hexSha1, 'hex').toString('base64')}`;
}

function octal4(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function recordLines(p: BuildPackage): string[] {
  const lines: string[] = [`P:${p.name}`, `V:${p.version}`, `A:${p.arch}`];
  const add = (letter: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== '') lines.push(`${letter}:${value}`);
  };
  const addList = (letter: string, values: readonly string[] | undefined): void => {
    if (values && values.length > 0) lines.push(`${letter}:${values.join(' ')}`);
  };
  add('S', p.size);
  add('I', p.installedSize);
  add('T', p.description);
  add('U', p.url);
  add('L', p.license);
  add('o', p.origin);
  add('m', p.maintainer);
  add('t', p.buildTime);
  add('c', p.commit);
  addList('D', p.depends);
  addList('p', p.provides);
  addList('r', p.replaces);
  addList('i', p.installIf);
  add('k', p.providerPriority);
  add('C', p.checksum);
  return lines;
}

function fileLines(tree: FileTree, index: number, files: InstalledFiles): string[] {
  const lines: string[] = [];
  let openDir: string | undefined;
  const openDirectory = (dir: string): void => {
    if (openDir === dir) return;
    openDir = dir;
    lines.push(`F:${dir}`);
    const node = tree.get(dir);
    if (node && (node.uid !== 0 || node.gid !== 0 || (node.mode & 0o7777) !== 0o755)) {
      lines.push(`M:${node.uid}:${node.gid}:${octal4(node.mode)}`);
    }
  };
  const seen = new Set<string>();
  for (const path of files.paths) {
    if (seen.has(path)) continue;
    seen.add(path);
    const node = tree.get(path);
    if (!node) continue;
    if (node.type === 'directory') {
      openDirectory(path);
      continue;
    }
    if (node.owner !== index) continue;
    const cut = path.lastIndexOf('/');
    if (cut >= 0) openDirectory(path.slice(0, cut));
    lines.push(`R:${path.slice(cut + 1)}`);
    const defaultMode = node.type === 'symlink' ? 0o777 : 0o644;
    if (node.uid !== 0 || node.gid !== 0 || node.mode !== defaultMode || node.type === 'symlink') {
      lines.push(
        `a:${node.uid}:${node.gid}:${octal4(node.type === 'symlink' ? 0o777 : node.mode)}`,
      );
    }
    if (node.sha1) lines.push(`Z:${q1(node.sha1)}`);
  }
  return lines;
}

/** The installed db for `packages` (install order) as the tree now holds them. */
export function renderInstalledDb(
  tree: FileTree,
  packages: readonly BuildPackage[],
  installed: readonly InstalledFiles[],
): string {
  const stanzas = packages.map((p, i) => {
    const files = installed[i];
    const lines = [...recordLines(p), ...(files ? fileLines(tree, i, files) : [])];
    return `${lines.join('\n')}\n`;
  });
  return stanzas.map((s) => `${s}\n`).join('');
}
