import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApkgraphError } from '../src/errors.js';
import { buildGraph } from '../src/graph/build-graph.js';
import { loadModuleSet } from '../src/moduleset/load.js';
import { writeModuleSet } from '../src/moduleset/write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apkgraph-moduleset-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadError(): Promise<ApkgraphError> {
  const err: unknown = await loadModuleSet(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApkgraphError);
  return err as ApkgraphError;
}

const apko = { contents: { packages: ['busybox'] } };

describe('loadModuleSet', () => {
  it('reads settings, modules and defaults, sorted by module name', async () => {
    await writeModuleSet(dir, {
      settings: {
        prefetch: true,
        archs: ['amd64', 'aarch64'],
        keyring: ['keys/demo.rsa.pub'],
        mirrors: { 'https://repo.example/x': 'http://127.0.0.1:1/x' },
      },
      modules: {
        web: { apko, module: { dev: false, depends_on: ['base'] } },
        base: { apko: { contents: { packages: ['a=1-r0'] }, archs: ['x86_64'] } },
      },
    });
    await mkdir(join(dir, 'synth'));
    const set = await loadModuleSet(dir);
    expect(set.settings.prefetch).toBe(true);
    expect(set.settings.archs).toEqual(['x86_64', 'aarch64']);
    expect(set.settings.keyring).toEqual([join(dir, 'keys/demo.rsa.pub')]);
    expect(set.settings.devPackages).toEqual(['apk-tools', 'bash', 'busybox', 'git', 'wget']);
    expect(set.settings.mirrors).toEqual({ 'https://repo.example/x': 'http://127.0.0.1:1/x' });
    expect(set.modules.map((m) => m.name)).toEqual(['base', 'web']);
    const [base, web] = set.modules;
    expect(base?.settings).toEqual({ dev: true, extraDevPackages: [], dependsOn: [] });
    expect(base?.apko.archs).toEqual(['x86_64']);
    expect(web?.settings.dev).toBe(false);
    expect(web?.settings.dependsOn.map((d) => d.module)).toEqual(['base']);
    expect(web?.settings.dependsOn[0]?.pos).toMatchObject({ line: 3, column: 5 });
  });

  it('reports an unknown module.yaml key with file:line:col and the offending line', async () => {
    await writeModuleSet(dir, {
      modules: { web: { apko, module: 'dev: true\ndepend_on:\n  - base\n' } },
    });
    const err = await loadError();
    expect(err.code).toBe('ERR_CONFIG');
    expect(err.subject).toMatchObject({
      path: join(dir, 'web', 'module.yaml'),
      line: 2,
      column: 1,
    });
    expect(err.message).toBe(
      `${join(dir, 'web', 'module.yaml')}:2:1: unknown key "depend_on"\n  2 | depend_on:\n    | ^`,
    );
    expect(err.hint).toContain('depends_on');
  });

  it('reports an unknown apkgraph.yaml key', async () => {
    await writeModuleSet(dir, {
      settings: 'prefetch: true\narchs: [x86_64]\nprefech: false\n',
      modules: { a: { apko } },
    });
    const err = await loadError();
    expect(err.code).toBe('ERR_CONFIG');
    expect(err.subject).toMatchObject({ line: 3, column: 1 });
  });

  it('reports a wrong type at the value', async () => {
    await writeModuleSet(dir, { settings: 'prefetch: yes please\n', modules: { a: { apko } } });
    const err = await loadError();
    expect(err.message).toMatch(/apkgraph\.yaml:1:11: "prefetch" must be true or false/);
  });

  it('reports an unknown apko field with its position', async () => {
    await writeModuleSet(dir, {
      modules: { a: { apko: 'contents:\n  packages: [busybox]\n  pacakges: [x]\n' } },
    });
    const err = await loadError();
    expect(err.code).toBe('ERR_CONFIG');
    expect(err.message).toContain('apko.yaml:3:3: unknown field "pacakges" in contents');
  });

  it('reports a YAML syntax error as ERR_CONFIG_YAML', async () => {
    await writeModuleSet(dir, { modules: { a: { apko, module: 'dev: [true\n' } } });
    const err = await loadError();
    expect(err.code).toBe('ERR_CONFIG_YAML');
    expect(err.subject.path).toBe(join(dir, 'a', 'module.yaml'));
  });

  it('rejects an unknown architecture in archs', async () => {
    await writeModuleSet(dir, { settings: { archs: ['sparc'] }, modules: { a: { apko } } });
    const err = await loadError();
    expect(err.code).toBe('ERR_CONFIG');
    expect(err.message).toContain('unknown architecture "sparc"');
  });

  it('fails with ERR_MODULE_SET when no folder holds apko.yaml', async () => {
    await mkdir(join(dir, 'keys'));
    const err = await loadError();
    expect(err.code).toBe('ERR_MODULE_SET');
  });

  it('says a depends_on target folder exists but has no apko.yaml', async () => {
    await writeModuleSet(dir, {
      modules: { web: { apko, module: { depends_on: ['base'] } } },
    });
    await mkdir(join(dir, 'base'));
    await writeFile(join(dir, 'base', 'module.yaml'), 'dev: false\n');
    const set = await loadModuleSet(dir);
    expect(set.foldersWithoutApko).toEqual(['base']);
    expect(() => buildGraph(set)).toThrow(
      'module web depends on "base", whose folder exists but has no apko.yaml',
    );
  });
});
