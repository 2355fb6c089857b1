import { describe, expect, it } from 'vitest';
import { ApkgraphError } from '../errors.js';
import { normalizeEntryPath } from '../tar/entry-path.js';
import { decideOverwrite, FileTree, type TreeNode } from './file-tree.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ApkgraphError ? err.code : 'not an ApkgraphError';
  }
  return undefined;
}

const dirs = { mtime: 0, owner: 0 };
const symlink = (linkname: string): TreeNode => ({
  type: 'symlink',
  linkname,
  mode: 0o777,
  uid: 0,
  gid: 0,
  size: 0,
  mtime: 0,
  owner: 0,
});

describe('normalizeEntryPath', () => {
  it('strips ./ and trailing slashes', () => {
    expect(normalizeEntryPath('./usr/bin/')).toBe('usr/bin');
    expect(normalizeEntryPath('usr//lib/./x')).toBe('usr/lib/x');
  });

  it('refuses absolute paths and .. components', () => {
    expect(code(() => normalizeEntryPath('/etc/passwd'))).toBe('ERR_UNSAFE_PATH');
    expect(code(() => normalizeEntryPath('usr/../../etc'))).toBe('ERR_UNSAFE_PATH');
  });
});

describe('FileTree.resolve', () => {
  it('follows directory symlinks chroot-style', () => {
    const tree = new FileTree();
    tree.set('lib', symlink('usr/lib'), dirs);
    tree.set('bin', symlink('/usr/bin'), dirs);
    expect(tree.resolve('lib/libc.so')).toBe('usr/lib/libc.so');
    expect(tree.resolve('bin/sh')).toBe('usr/bin/sh');
    // The last component is never followed, so the symlink itself can be replaced.
    expect(tree.resolve('lib')).toBe('lib');
  });

  it('refuses a symlink that climbs above the root', () => {
    const tree = new FileTree();
    tree.set('escape', symlink('../../..'), dirs);
    expect(code(() => tree.resolve('escape/etc/shadow'))).toBe('ERR_UNSAFE_PATH');
  });

  it('refuses symlink loops', () => {
    const tree = new FileTree();
    tree.set('a', symlink('b'), dirs);
    tree.set('b', symlink('a'), dirs);
    expect(code(() => tree.resolve('a/x'))).toBe('ERR_UNSAFE_PATH');
  });

  it('creates missing parents and sorts parents first', () => {
    const tree = new FileTree();
    tree.set('a/b/c', { ...symlink('x'), type: 'file' }, dirs);
    tree.set('a-b', { ...symlink('x'), type: 'file' }, dirs);
    expect(tree.sortedPaths()).toEqual(['a', 'a-b', 'a/b', 'a/b/c']);
    expect(tree.get('a/b')?.type).toBe('directory');
  });
});

describe('decideOverwrite', () => {
  const pkg = (name: string, extra: { origin?: string; replaces?: string[] } = {}) => ({
    name,
    version: '1-r0',
    replaces: extra.replaces ?? [],
    ...(extra.origin ? { origin: extra.origin } : {}),
  });

  it('lets a package that replaces the owner take the file', () => {
    expect(decideOverwrite('f', pkg('a'), pkg('b', { replaces: ['a=1-r0'] }), false)).toBe('take');
  });

  it('keeps the owner when the owner replaces the newcomer', () => {
    expect(decideOverwrite('f', pkg('a', { replaces: ['b'] }), pkg('b'), false)).toBe('keep');
  });

  it('allows identical content and a shared origin', () => {
    expect(decideOverwrite('f', pkg('a'), pkg('b'), true)).toBe('take');
    expect(decideOverwrite('f', pkg('a', { origin: 'o' }), pkg('b', { origin: 'o' }), false)).toBe(
      'take',
    );
  });

  it('reports a conflict naming both packages and the path', () => {
    expect(() => decideOverwrite('usr/bin/x', pkg('a'), pkg('b'), false)).toThrow(
      /b-1-r0 and a-1-r0 both install "usr\/bin\/x"/,
    );
  });
});
