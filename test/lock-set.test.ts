/**
 * Lock files of a module set, end to end: a signed two-arch repository built in code and served
 * on 127.0.0.1, the real resolver and cache, `lockModuleSet` (what `apkgraph lock SET` runs) and
 * `runModuleSet` (which writes the same lock into each OCI layout). Every byte range in the
 * locks is checked against the .apk files themselves.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeApkIndex } from '../src/apk/apkindex-file.js';
import { writeApk } from '../src/apk/apk-writer.js';
import { generateSigningKey } from '../src/apk/keys.js';
import type { PackageRecord } from '../src/apk/types.js';
import { main } from '../src/cli/main.js';
import { buildGraph } from '../src/graph/build-graph.js';
import { readApkoLock, type ApkoLock, type LockPackage } from '../src/lock/apko-lock.js';
import { lockModuleSet } from '../src/lock/lock-set.js';
import { imageLockPath, variantLockPath } from '../src/lock/set-lock.js';
import { loadModuleSet } from '../src/moduleset/load.js';
import type { ModuleSet } from '../src/moduleset/types.js';
import { writeModuleSet } from '../src/moduleset/write.js';
import { createRealServices } from '../src/scheduler/real-services.js';
import { runModuleSet } from '../src/scheduler/run-set.js';
import { startRepoServer, type RepoServer } from '../src/serve/repo-server.js';
import { itWithTool } from './oci-tools.js';

const exec = promisify(execFile);

const ARCHS = ['x86_64', 'aarch64'];
// name, version, depends; bash and busybox are the dev extras.
const PACKAGES: Array<[string, string, string[]]> = [
  ['musl', '1.2.5-r0', []],
  ['zlib', '1.3-r0', ['musl']],
  ['app', '2.0-r1', ['zlib']],
  ['tool', '0.9-r0', ['musl']],
  ['bash', '5.2-r0', ['musl']],
  ['busybox', '1.36-r0', []],
];
const VARIANTS = [
  ['app', 'latest'],
  ['app', 'latest-dev'],
  ['tool', 'latest'],
] as const;

let dir: string;
let repoDir: string;
let server: RepoServer;
let set: ModuleSet;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apkgraph-lock-set-'));
  repoDir = join(dir, 'repo');
  const key = generateSigningKey('lock-test', 1024);
  for (const arch of ARCHS) {
    await mkdir(join(repoDir, arch), { recursive: true });
    const records: PackageRecord[] = [];
    for (const [name, version, depends] of PACKAGES) {
      const { bytes, record } = writeApk({
        pkginfo: [
          ['pkgname', name],
          ['pkgver', version],
          ['arch', arch],
          ...depends.map((d): [string, string] => ['depend', d]),
        ],
        files: [{ path: `usr/share/${name}/${arch}`, content: `${name} ${version} ${arch}\n` }],
        // musl stays unsigned, to check the empty signature range apko writes for it.
        ...(name === 'musl' ? {} : { key }),
      });
      await writeFile(join(repoDir, arch, `${name}-${version}.apk`), bytes);
      records.push(record);
    }
    await writeFile(
      join(repoDir, arch, 'APKINDEX.tar.gz'),
      writeApkIndex({ packages: records, key }),
    );
  }
  server = await startRepoServer({ root: repoDir });
  const setDir = join(dir, 'set');
  await mkdir(join(setDir, 'keys'), { recursive: true });
  await writeFile(join(setDir, 'keys', key.name), key.publicKeyPem);
  await writeModuleSet(setDir, {
    settings: {
      archs: ARCHS,
      repositories: [server.url],
      keyring: [`keys/${key.name}`],
      dev_packages: ['bash', 'busybox'],
    },
    modules: {
      app: { apko: { contents: { packages: ['app'] } } },
      tool: { apko: { contents: { packages: ['tool'] } }, module: { dev: false } },
    },
  });
  set = await loadModuleSet(setDir);
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

function services(cache: string) {
  return createRealServices({
    cacheDir: join(dir, cache),
    fetchInProcess: true,
    buildInProcess: true,
  });
}

async function lockSet(cache: string, out: string, fetch: boolean) {
  const s = services(cache);
  try {
    return await lockModuleSet(set, buildGraph(set), {
      services: s,
      layout: s.cache.layout,
      outRoot: join(dir, out),
      fetch,
    });
  } finally {
    await s.close();
  }
}

async function readLock(path: string): Promise<ApkoLock> {
  return readApkoLock(await readFile(path, 'utf8'), path);
}

const sha = (alg: 'sha1' | 'sha256', bytes: Uint8Array): string =>
  `${alg}-${createHash(alg).update(bytes).digest('base64')}`;

function slice(bytes: Buffer, range: string): Buffer {
  const m = /^bytes=(\d+)-(\d+)$/.exec(range);
  if (!m) throw new Error(`bad range ${range}`);
  return bytes.subarray(Number(m[1]), Number(m[2]) + 1);
}

/** Checks one package's ranges and digests against its .apk file in the repository. */
async function expectRangesMatchApk(p: LockPackage): Promise<void> {
  const file = join(repoDir, p.architecture, `${p.name}-${p.version}.apk`);
  const apk = await readFile(file);
  expect(p.url).toBe(`${server.url}/${p.architecture}/${p.name}-${p.version}.apk`);
  if (p.name === 'musl') {
    expect(p.signature).toEqual({ range: '', checksum: '' });
  } else {
    expect(sha('sha1', slice(apk, p.signature!.range))).toBe(p.signature!.checksum);
  }
  const control = slice(apk, p.control!.range);
  expect(sha('sha1', control)).toBe(p.control!.checksum);
  expect(p.checksum).toBe(`Q1${p.control!.checksum.slice('sha1-'.length)}`);
  const data = slice(apk, p.data!.range);
  expect(sha('sha256', data)).toBe(p.data!.checksum);
  // the three sections cover the whole file
  expect(Number(/-(\d+)$/.exec(p.data!.range)![1]) + 1).toBe(apk.length);
}

describe('lockModuleSet', () => {
  it('writes one lock per variant, without ranges when nothing is cached', async () => {
    const written = await lockSet('cache-empty', 'locks-empty', false);
    expect(written.map((w) => [w.module, w.variant, w.withRanges])).toEqual(
      VARIANTS.map(([m, v]) => [m, v, 0]),
    );
    for (const [m, v] of VARIANTS) {
      const lock = await readLock(variantLockPath(join(dir, 'locks-empty'), m, v));
      expect(lock.contents.packages.length).toBeGreaterThan(0);
      expect(lock.contents.packages.every((p) => p.control === undefined)).toBe(true);
      expect(lock.config?.name).toBe(`${m}/apko.yaml`);
      expect(lock.contents.keyring.map((k) => k.url)).toEqual(['keys/lock-test.rsa.pub']);
      expect(lock.contents.keyring[0]?.content).toContain('BEGIN PUBLIC KEY');
    }
    // a read-only lookup: no package was downloaded into the cache
    const cached = await readdir(join(dir, 'cache-empty'), { recursive: true }).catch(() => []);
    expect(cached.filter((f) => String(f).endsWith('.ctl.tar.gz'))).toEqual([]);
  });

  it('with fetch, gives every package ranges and digests that match its .apk', async () => {
    const written = await lockSet('cache-fetch', 'locks-fetch', true);
    for (const w of written) expect(w.withRanges).toBe(w.packages);
    const root = join(dir, 'locks-fetch');
    const latest = await readLock(variantLockPath(root, 'app', 'latest'));
    const dev = await readLock(variantLockPath(root, 'app', 'latest-dev'));
    for (const p of [...latest.contents.packages, ...dev.contents.packages]) {
      await expectRangesMatchApk(p);
    }
    const names = (l: ApkoLock, arch: string) =>
      l.contents.packages.filter((p) => p.architecture === arch).map((p) => p.name);
    expect(names(latest, 'x86_64')).toEqual(['musl', 'zlib', 'app']);
    expect(names(latest, 'aarch64')).toEqual(['musl', 'zlib', 'app']);
    // latest-dev keeps latest's packages and adds the dev extras
    expect(names(dev, 'x86_64').sort()).toEqual(['app', 'bash', 'busybox', 'musl', 'zlib']);
    expect(latest.contents.repositories.map((r) => r.url)).toEqual(
      ARCHS.map((a) => `${server.url}/${a}/APKINDEX.tar.gz`),
    );
    expect(latest.config?.checksum).not.toBe(dev.config?.checksum);
  });
});

describe('runModuleSet lock files', () => {
  it('writes the same lock as lockModuleSet at the root of each OCI layout', async () => {
    const s = services('cache-run');
    const out = join(dir, 'out');
    try {
      const { result } = await runModuleSet({
        set,
        graph: buildGraph(set),
        services: s,
        prefetch: false,
        jobs: 2,
        configConcurrency: 2,
        outRoot: out,
      });
      expect(result.ok).toBe(true);
    } finally {
      await s.close();
    }
    for (const [m, v] of VARIANTS) {
      const fromRun = await readFile(imageLockPath(join(out, m, v)), 'utf8');
      const fromLock = await readFile(variantLockPath(join(dir, 'locks-fetch'), m, v), 'utf8');
      expect(fromRun).toBe(fromLock);
      expect((await readdir(join(out, m, v))).sort()).toEqual([
        'apko.lock.json',
        'blobs',
        'index.json',
        'oci-layout',
      ]);
    }
  });
});

describe('an OCI layout holding its lock file', () => {
  const layout = () => join(dir, 'out', 'app', 'latest-dev');
  itWithTool('skopeo', 'is still accepted by skopeo inspect and copy', async () => {
    const { stdout } = await exec('skopeo', ['inspect', '--raw', `oci:${layout()}:latest-dev`]);
    expect((JSON.parse(stdout) as { manifests: unknown[] }).manifests).toHaveLength(2);
    await exec('skopeo', [
      'copy',
      `oci:${layout()}:latest-dev-amd64`,
      `oci:${join(dir, 'copy')}:x`,
    ]);
  });
  itWithTool('umoci', 'is still accepted by umoci, whose gc keeps the lock', async () => {
    const { stdout } = await exec('umoci', ['ls', '--layout', layout()]);
    expect(stdout.split('\n')).toContain('latest-dev-arm64');
    await exec('umoci', ['gc', '--layout', layout()]);
    expect(await readdir(layout())).toContain('apko.lock.json');
  });
});

describe('apkgraph lock', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('locks a set folder into OUT/<module>/<variant>.apko.lock.json', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = join(dir, 'cli-out');
    const argv = ['node', 'apkgraph', 'lock', set.dir, '-o', out, '--fetch'];
    expect(await main([...argv, '--cache-dir', join(dir, 'cache-cli'), '--arch', 'x86_64'])).toBe(
      0,
    );
    const lock = await readLock(variantLockPath(out, 'tool', 'latest'));
    expect(lock.contents.packages.map((p) => [p.name, p.architecture])).toEqual([
      ['musl', 'x86_64'],
      ['tool', 'x86_64'],
    ]);
    for (const p of lock.contents.packages) await expectRangesMatchApk(p);
  });

  it('refuses --repository for a set, whose repositories come from its files', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
    const argv = ['node', 'apkgraph', 'lock', set.dir, '--repository', server.url];
    expect(await main([...argv, '--cache-dir', join(dir, 'cache-usage')])).toBe(2);
    expect(err).toContain('ERR_USAGE');
  });

  it('gives a config ranges for the packages the cache already holds', async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const config = join(dir, 'single.yaml');
    await writeFile(
      config,
      `contents:\n  repositories: [${server.url}]\n  packages: [tool]\narchs: [x86_64]\n`,
    );
    // cache-cli holds tool and musl for x86_64 from the previous test
    expect(
      await main(['node', 'apkgraph', 'lock', config, '--cache-dir', join(dir, 'cache-cli')]),
    ).toBe(0);
    const lock = await readLock(join(dir, 'single.lock.json'));
    expect(lock.contents.packages.map((p) => p.name)).toEqual(['musl', 'tool']);
    for (const p of lock.contents.packages) await expectRangesMatchApk(p);
  });
});
