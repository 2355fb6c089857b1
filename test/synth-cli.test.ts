/**
 * `apkgraph repo synth` and `apkgraph bench` through the command line: output, usage errors
 * and their exit codes.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIndexText } from '../src/apk/apkindex.js';
import { newPackageRecord } from '../src/apk/types.js';
import { runCli as run } from './cli-run.js';

describe('apkgraph repo synth', () => {
  let tmp: string;
  let index: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-synthcli-'));
    index = join(tmp, 'APKINDEX');
    const records = ['one', 'two'].map((n) => ({
      ...newPackageRecord(n, '1.0-r0', 'aarch64'),
      size: 30_000,
    }));
    await writeFile(index, formatIndexText(records));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('writes the repository and says where the index and key are', async () => {
    const out = join(tmp, 'repo');
    const r = await run(['repo', 'synth', '--from', index, '--out', out, '-j', '1']);
    expect(r.err).not.toContain('error[');
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 packages (aarch64, of 2 in the index)');
    expect(r.out).toContain(join(out, 'aarch64', 'APKINDEX.tar.gz'));
    expect((await readdir(join(out, 'aarch64'))).sort()).toEqual([
      'APKINDEX.tar.gz',
      'one-1.0-r0.apk',
      'two-1.0-r0.apk',
    ]);
  });

  it('exits 2 on a scale that is not a positive number', async () => {
    const r = await run([
      'repo',
      'synth',
      '--from',
      index,
      '--out',
      join(tmp, 'x'),
      '--scale',
      '0',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('error[ERR_USAGE]: --scale must be a positive number');
  });

  it('exits 1 naming the file when the index cannot be read', async () => {
    const missing = join(tmp, 'nope.tar.gz');
    const r = await run(['repo', 'synth', '--from', missing, '--out', join(tmp, 'y')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error[ERR_IO]');
    expect(r.err).toContain(`file: ${missing}`);
  });
});

describe('apkgraph bench', () => {
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-benchcli-'));
    await mkdir(join(tmp, 'set', 'm'), { recursive: true });
    await writeFile(join(tmp, 'set', 'apkgraph.yaml'), 'archs: [x86_64]\n');
    await writeFile(join(tmp, 'set', 'm', 'apko.yaml'), 'contents:\n  packages: [a]\n');
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('exits 2 when the set has no demo repository and no --repo is given', async () => {
    const r = await run(['bench', join(tmp, 'set'), '--work-dir', tmp]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('has no demo repository');
    expect(r.err).toContain('hint: pass --repo');
  });

  it('exits 2 on an unknown strategy or a bad jobs list', async () => {
    const a = await run(['bench', join(tmp, 'set'), '--repo', tmp, '--strategies', 'fast']);
    expect(a.code).toBe(2);
    expect(a.err).toContain('unknown strategy "fast"');
    const b = await run(['bench', join(tmp, 'set'), '--repo', tmp, '-j', '4,0']);
    expect(b.code).toBe(2);
    expect(b.err).toContain('--jobs takes positive integers');
  });
});
