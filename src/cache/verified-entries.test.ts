import { copyFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VerifiedEntries, type EntryFiles } from './entry-check.js';

describe('VerifiedEntries', () => {
  let dir: string;
  let entry: EntryFiles;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apkgraph-verified-'));
    entry = {
      dir,
      controlPath: join(dir, 'c.ctl.tar.gz'),
      dataPath: join(dir, 'd.dat.tar.gz'),
      controlSha1: 'c',
      dataSha256: 'd',
      sizes: { signature: 0, control: 7, data: 4 },
    };
    await writeFile(entry.controlPath, 'control');
    await writeFile(entry.dataPath, 'data');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('answers from memory while the files are the ones it saw', async () => {
    const memo = new VerifiedEntries();
    expect(await memo.get('k')).toBeUndefined();
    await memo.remember('k', entry);
    expect(await memo.get('k')).toBe(entry);
    expect(await memo.get('other')).toBeUndefined();
  });

  it('forgets an entry whose file was replaced, even by identical bytes', async () => {
    const memo = new VerifiedEntries();
    await memo.remember('k', entry);
    await copyFile(entry.dataPath, join(dir, 'copy'));
    await rename(join(dir, 'copy'), entry.dataPath);
    expect(await memo.get('k')).toBeUndefined();
  });

  it('forgets an entry whose file was rewritten in place or removed', async () => {
    const memo = new VerifiedEntries();
    await memo.remember('k', entry);
    await writeFile(entry.controlPath, 'CONTROL!');
    expect(await memo.get('k')).toBeUndefined();
    await memo.remember('k', entry);
    await rm(entry.dataPath);
    expect(await memo.get('k')).toBeUndefined();
  });
});
