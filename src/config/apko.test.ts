import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeRealdata, realdata } from '../../test/realdata.js';
import type { ApkgraphError } from '../errors.js';
import { loadApkoConfig, parseApkoConfig } from './apko.js';

function errorOf(fn: () => unknown): ApkgraphError {
  try {
    fn();
  } catch (err) {
    return err as ApkgraphError;
  }
  throw new Error('expected an error');
}

describe('parseApkoConfig', () => {
  it('reads every field group and normalises architectures', () => {
    const text = [
      'contents:',
      '  repositories: [https://example.invalid/alpine/main, "@edge https://example.invalid/edge"]',
      '  keyring: [keys/a.rsa.pub]',
      '  runtime_keyring: [{name: k.rsa.pub, content: "PEM"}]',
      '  packages: [busybox, "curl>=8"]',
      'entrypoint: {command: /bin/sh -l}',
      'cmd: --help',
      'work-dir: /app',
      'stop-signal: SIGTERM',
      'accounts:',
      '  run-as: 65532',
      '  users: [{username: nonroot, uid: 65532, gid: 65532}]',
      '  groups: [{groupname: nonroot, gid: 65532, members: [nonroot]}]',
      'archs: [amd64, aarch64]',
      'environment: {PORT: 8080, PATH: /usr/bin}',
      'paths: [{path: /data, type: directory, uid: 1, gid: 1, permissions: 0755, recursive: true}]',
      'annotations: {a: b}',
      'volumes: [/data]',
      'layering: {strategy: origin, budget: 10}',
      'format: tar',
      'certificates: {providers: [ca-certificates-bundle]}',
      'vcs-url: https://example.invalid/repo',
    ].join('\n');
    const c = parseApkoConfig(text, 'apko.yaml');
    expect(c.archs).toEqual(['x86_64', 'aarch64']);
    expect(c.contents?.packages).toEqual(['busybox', 'curl>=8']);
    expect(c.environment).toEqual({ PORT: '8080', PATH: '/usr/bin' });
    expect(c.paths?.[0]?.permissions).toBe(0o755);
    expect(c.accounts?.['run-as']).toBe('65532');
    expect(c.layering).toEqual({ strategy: 'origin', budget: 10 });
  });

  it('rejects an unknown field with its line, column and a marker', () => {
    const err = errorOf(() =>
      parseApkoConfig('contents:\n  packages: [a]\n  pakages: [b]\n', 'x.yaml'),
    );
    expect(err.code).toBe('ERR_CONFIG');
    expect(err.subject).toMatchObject({ path: 'x.yaml', line: 3, column: 3 });
    expect(err.message).toContain('unknown field "pakages" in contents');
    expect(err.message).toContain('3 |   pakages: [b]');
    expect(err.message).toMatch(/\|\s{3}\^$/);
  });

  it('rejects a wrong type at the offending value', () => {
    const err = errorOf(() => parseApkoConfig('archs: x86_64\n', 'x.yaml'));
    expect(err.message).toContain('archs must be a list, not a string');
    expect(err.subject).toMatchObject({ line: 1, column: 8 });
  });

  it('names the file and says an apko config is expected when the top level is a list', () => {
    expect(() => parseApkoConfig('[{"path": "a"}]\n', 'MANIFEST.json')).toThrow(
      /^MANIFEST\.json is not an apko config: its top level is a list/,
    );
  });

  it('explains a field apko removed', () => {
    const err = errorOf(() => parseApkoConfig('os-release: {id: x}\n', 'x.yaml'));
    expect(err.message).toContain('"os-release" is no longer supported');
    expect(err.hint).toMatch(/removed/);
  });

  it('rejects an unknown architecture and bad YAML', () => {
    expect(errorOf(() => parseApkoConfig('archs: [sparc]\n', 'x.yaml')).message).toContain(
      'unknown architecture "sparc"',
    );
    expect(errorOf(() => parseApkoConfig('contents: [\n', 'x.yaml')).code).toBe('ERR_CONFIG_YAML');
  });
});

describe('loadApkoConfig', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apkgraph-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('merges an included base under the config, lists base first', async () => {
    await writeFile(
      join(dir, 'base.yaml'),
      'contents: {packages: [busybox], repositories: [r1]}\ncmd: a\n',
    );
    await writeFile(
      join(dir, 'img.yaml'),
      'include: base.yaml\ncontents: {packages: [nano]}\ncmd: b\n',
    );
    const c = await loadApkoConfig(join(dir, 'img.yaml'));
    expect(c).toEqual({
      contents: { packages: ['busybox', 'nano'], repositories: ['r1'] },
      cmd: 'b',
    });
  });

  it('stops an include loop', async () => {
    await writeFile(join(dir, 'a.yaml'), 'include: a.yaml\n');
    await expect(loadApkoConfig(join(dir, 'a.yaml'))).rejects.toThrow(/deeper than/);
  });
});

describeRealdata('parseApkoConfig on real configs', () => {
  it('accepts every apko config in the real data', async () => {
    const dirs = [
      'images/apko-examples',
      'images/rules_apko',
      'images/apko-testdata-locks',
      'images/chainguard-images-2024-06-28/apko-templates',
    ];
    let count = 0;
    for (const d of dirs) {
      for (const f of await readdir(realdata(d))) {
        if (!f.endsWith('.yaml')) continue;
        const path = realdata(d, f);
        parseApkoConfig(await readFile(path, 'utf8'), path);
        count++;
      }
    }
    expect(count).toBeGreaterThan(250);
  });
});
