import { describe, expect, it } from 'vitest';
import { FileTree, type TreeNode } from './file-tree.js';
import { renderInstalledDb } from './installed-db.js';
import type { BuildPackage } from './types.js';

const node = (over: Partial<TreeNode>): TreeNode => ({
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size: 0,
  mtime: 0,
  owner: 0,
  ...over,
});

const pkg: BuildPackage = {
  name: 'demo',
  version: '1.0-r0',
  arch: 'x86_64',
  origin: 'demo',
  license: 'MIT',
  buildTime: 1700000000,
  depends: ['so:libc.so'],
  provides: ['cmd:demo=1.0-r0'],
  installIf: [],
  replaces: ['old-demo'],
  checksum: 'Q1abc=',
  controlPath: '',
  dataPath: '',
};

describe('renderInstalledDb', () => {
  it('writes record fields then F/M/R/a/Z lines for the files the package owns', () => {
    const tree = new FileTree();
    const dirs = { mtime: 0, owner: 0 };
    tree.set('usr/bin', node({ type: 'directory', mode: 0o755 }), dirs);
    tree.set('var/lib/demo', node({ type: 'directory', mode: 0o750, uid: 10, gid: 10 }), dirs);
    tree.set(
      'usr/bin/demo',
      node({ mode: 0o755, sha1: 'a9993e364706816aba3e25717850c26c9cd0d89d' }),
      dirs,
    );
    tree.set(
      'usr/bin/d',
      node({ type: 'symlink', linkname: 'demo', mode: 0o777, sha1: '00'.repeat(20) }),
      dirs,
    );
    tree.set('usr/bin/other', node({ owner: 1, sha1: '11'.repeat(20) }), dirs);
    const db = renderInstalledDb(
      tree,
      [pkg],
      [
        {
          paths: ['usr/bin', 'usr/bin/demo', 'usr/bin/d', 'usr/bin/other', 'var/lib/demo'],
          newestMtime: 0,
        },
      ],
    );
    expect(db).toBe(
      [
        'P:demo',
        'V:1.0-r0',
        'A:x86_64',
        'L:MIT',
        'o:demo',
        't:1700000000',
        'D:so:libc.so',
        'p:cmd:demo=1.0-r0',
        'r:old-demo',
        'C:Q1abc=',
        'F:usr/bin',
        'R:demo',
        'a:0:0:0755',
        'Z:Q1qZk+NkcGgWq6PiVxeFDCbJzQ2J0=',
        'R:d',
        'a:0:0:0777',
        'Z:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=',
        'F:var/lib/demo',
        'M:10:10:0750',
        '',
        '',
      ].join('\n'),
    );
  });
});
