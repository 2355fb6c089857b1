/**
 * Command-line checks that must fail early and consistently: bad flags are ERR_USAGE (exit 2),
 * reported once, before any work starts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './cli-run.js';

const execFileAsync = promisify(execFile);
const BIN = fileURLToPath(new URL('../bin/apkgraph.js', import.meta.url));
/** The compiled command line the bin script loads (`npm test` builds it first). */
const BIN_TARGET = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const DEMO_REPOSITORY = 'http://127.0.0.1:8089/apkgraph-demo/main';
const STRAY_MIRROR = 'http://127.0.0.1:9/not-named=http://127.0.0.1:9/elsewhere';

describe('command-line usage errors', () => {
  let dir = '';
  let config = '';

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apkgraph-usage-'));
    config = join(dir, 'apko.yaml');
    await writeFile(
      config,
      'contents:\n  repositories: [http://127.0.0.1:9/repo]\n  packages: [busybox]\n',
    );
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const common = (): string[] => ['--cache-dir', join(dir, 'cache'), '--offline'];

  it.each([
    ['run', ['run', 'modules', '--out', 'OUT']],
    ['plan', ['plan', 'modules', '--resolve']],
    ['lock', ['lock', 'modules', '-o', 'OUT']],
  ])('refuses a --mirror that matches no repository of the set in %s', async (_, args) => {
    const r = await runCli([
      ...args.map((a) => (a === 'OUT' ? join(dir, 'out') : a)),
      ...common(),
      '--mirror',
      STRAY_MIRROR,
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('error[ERR_USAGE]: --mirror http://127.0.0.1:9/not-named=');
    expect(r.err).toContain(DEMO_REPOSITORY);
  });

  it('refuses a --mirror that matches no repository of the config in resolve', async () => {
    const r = await runCli(['resolve', config, ...common(), '--mirror', STRAY_MIRROR]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('http://127.0.0.1:9/repo');
  });

  it('refuses a bench --mirror-from that matches no repository of the set', async () => {
    const r = await runCli([
      'bench',
      'modules',
      '--work-dir',
      dir,
      '--mirror-from',
      'http://127.0.0.1:9/not-named',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('error[ERR_USAGE]: --mirror-from http://127.0.0.1:9/not-named');
    expect(r.err).toContain(DEMO_REPOSITORY);
  });

  it('accepts a --mirror that is a prefix of a named repository', async () => {
    const r = await runCli([
      'plan',
      'modules',
      '--format',
      'dot',
      '--mirror',
      'http://127.0.0.1:8089/=http://127.0.0.1:9/',
    ]);
    expect(r.code).toBe(0);
  });

  it('reports a missing --keyring file once, as a usage error', async () => {
    const r = await runCli([
      'run',
      'modules',
      '--out',
      join(dir, 'out'),
      ...common(),
      '--keyring',
      join(dir, 'nope.pub'),
    ]);
    expect(r.code).toBe(2);
    expect(r.err.match(/error\[/g)).toEqual(['error[']);
    expect(r.err).toContain('error[ERR_USAGE]: --keyring');
    expect(r.out).toBe('');
  });

  it('treats an unknown --arch as a usage error in resolve, as in plan and run', async () => {
    for (const args of [
      ['resolve', config, '--arch', 'sparc'],
      ['plan', 'modules', '--arch', 'sparc'],
    ]) {
      const r = await runCli([...args, ...common()]);
      expect([args[0], r.code]).toEqual([args[0], 2]);
      expect(r.err).toContain('error[ERR_USAGE]');
    }
  });

  it('refuses, once and before anything runs, an --arch no selected module builds', async () => {
    const out = join(dir, 'out');
    const r = await runCli(['run', 'modules', '--arch', 'riscv64', '--out', out, ...common()]);
    expect(r.code).toBe(2);
    expect(r.err.match(/error\[ERR_USAGE\]/g)).toHaveLength(1);
    expect(r.err).toContain('none of the archs asked for (riscv64)');
    // No node started: no progress lines, no summary.
    expect(r.err).not.toContain('FAILED');
  });

  it('treats an unknown --target as a usage error and takes comma lists', async () => {
    const bad = await runCli(['plan', 'modules', '--target', 'nosuch', '--format', 'json']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('error[ERR_USAGE]: --target names "nosuch"');
    const listed = await runCli(['plan', 'modules', '--target', 'jq,curl', '--format', 'json']);
    expect(listed.code).toBe(0);
  });

  it.skipIf(!existsSync(BIN_TARGET))(
    'uses the embedded set when no set is given, whatever the current folder',
    async () => {
      const { stdout } = await execFileAsync(process.execPath, [BIN, 'plan', '--format', 'json'], {
        cwd: dir,
      });
      const plan = JSON.parse(stdout) as { nodes: unknown[] };
      expect(plan.nodes.length).toBeGreaterThan(0);
    },
  );

  it('prints an unknown option in the same error format as every other usage error', async () => {
    const r = await runCli(['run', '--job', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("error[ERR_USAGE]: unknown option '--job'");
    expect(r.err).toContain('--jobs');
  });

  it('points at the set above when given a module folder', async () => {
    const r = await runCli(['plan', join('modules', 'jq')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('is a module itself (it holds apko.yaml)');
    expect(r.err).toContain('--target jq');
  });

  it.each([
    ['--log-level', 'loud'],
    ['--log-format', 'yaml'],
  ])('rejects %s %s', async (flag, value) => {
    const r = await runCli([flag, value, 'plan', 'modules', '--format', 'dot']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(value);
  });

  it('refuses a negative --latency-ms, saying a number ≥ 0 is expected', async () => {
    const r = await runCli(['serve', dir, '--latency-ms', '-1']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--latency-ms must be a number ≥ 0, got "-1"');
  });

  it('fails with ERR_IO naming a serve folder that does not exist', async () => {
    const missing = join(dir, 'missing');
    const r = await runCli(['serve', missing]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('error[ERR_IO]');
    expect(r.err).toContain(missing);
  });
});

describe('command help', () => {
  // A hard line break inside a description makes commander wrap each piece on its own,
  // leaving short orphan lines mid-sentence; a single sentence wraps into full lines.
  it.each([
    ['run'],
    ['plan'],
    ['serve'],
    ['cache', 'verify'],
    ['cache', 'clean'],
    ['apk', 'inspect'],
  ])('wraps the %s description into full lines', async (...command) => {
    const r = await runCli([...command, '--help']);
    expect(r.code).toBe(0);
    const paragraph = r.out.split('\n\n')[1]!.split('\n');
    for (const line of paragraph.slice(0, -1))
      expect([line, line.length >= 60]).toEqual([line, true]);
  });
});
