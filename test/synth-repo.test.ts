/**
 * `repo synth` end to end: a small index in, a signed repository of valid packages out.
 * The two-thread run needs the compiled worker (npm run build).
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readApkIndexFile } from '../src/apk/apkindex-file.js';
import { formatIndexText } from '../src/apk/apkindex.js';
import { verifyApkFile } from '../src/apk/apk-verify.js';
import { loadKeyring } from '../src/apk/keys.js';
import { newPackageRecord, type PackageRecord } from '../src/apk/types.js';
import { synthRepository, type SynthSummary } from '../src/synth/repo-synth.js';
import { DEFAULT_SYNTH_KEY_NAME, synthPrivateKeyPath } from '../src/synth/signing-key.js';

function rec(name: string, size: number, fields: Partial<PackageRecord> = {}): PackageRecord {
  return { ...newPackageRecord(name, '1.2.3-r4', 'x86_64'), size, ...fields };
}

const SOURCE = [
  rec('big', 4_000_000, { depends: ['so:libsmall.so.1', 'tiny'], origin: 'bigsrc' }),
  rec('small', 300_000, { provides: ['so:libsmall.so.1=1.2.3', 'cmd:small=1.2.3-r4'] }),
  rec('tiny', 900, { description: 'a tiny one', license: 'MIT' }),
  rec('tiny-doc', 50_000, { installIf: ['tiny=1.2.3-r4', 'docs'], providerPriority: 10 }),
  rec('sh', 120_000, { arch: 'noarch', provides: ['/bin/sh'] }),
];
const SCALE = 0.5;

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = join(prefix, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

describe('synthRepository', () => {
  let tmp: string;
  let first: SynthSummary;
  let repoA: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-synth-'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(tmp, 'APKINDEX'), formatIndexText(SOURCE));
    repoA = join(tmp, 'a');
    first = await synthRepository({
      from: join(tmp, 'APKINDEX'),
      out: repoA,
      scale: SCALE,
      concurrency: 1,
    });
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('writes a signed index that verifies with the key it leaves in the folder', async () => {
    expect(first.keyName).toBe(DEFAULT_SYNTH_KEY_NAME);
    const keyring = await loadKeyring([join(repoA, DEFAULT_SYNTH_KEY_NAME)]);
    const index = await readApkIndexFile(join(repoA, 'x86_64', 'APKINDEX.tar.gz'), { keyring });
    expect(index.verifiedBy).toBe(DEFAULT_SYNTH_KEY_NAME);
    expect(index.packages.map((p) => p.name)).toEqual(SOURCE.map((p) => p.name));
  });

  it('keeps the generated private key under .keys/, outside the served tree', async () => {
    expect(synthPrivateKeyPath(repoA)).toBe(join(repoA, '.keys', 'apkgraph-synth.rsa'));
    await expect(readFile(synthPrivateKeyPath(repoA), 'utf8')).resolves.toContain('PRIVATE KEY');
    await expect(readFile(join(repoA, 'apkgraph-synth.rsa'))).rejects.toThrow();
  });

  it('keeps names, versions, arch, dependencies, provides, install_if, priority and origin', async () => {
    const keyring = await loadKeyring([join(repoA, DEFAULT_SYNTH_KEY_NAME)]);
    const index = await readApkIndexFile(join(repoA, 'x86_64', 'APKINDEX.tar.gz'), { keyring });
    for (const src of SOURCE) {
      const got = index.packages.find((p) => p.name === src.name)!;
      expect(got.version).toBe(src.version);
      expect(got.arch).toBe(src.arch);
      expect(got.depends).toEqual(src.depends);
      expect(got.provides).toEqual(src.provides);
      expect(got.installIf).toEqual(src.installIf);
      expect(got.providerPriority).toBe(src.providerPriority);
      expect(got.origin).toBe(src.origin);
    }
  });

  it('writes packages that verify against the index checksums and the key', async () => {
    const keyring = await loadKeyring([join(repoA, DEFAULT_SYNTH_KEY_NAME)]);
    const index = await readApkIndexFile(join(repoA, 'x86_64', 'APKINDEX.tar.gz'), { keyring });
    for (const p of index.packages) {
      const file = join(repoA, 'x86_64', `${p.name}-${p.version}.apk`);
      const report = await verifyApkFile(file, { expectedChecksum: p.checksum!, keyring });
      expect(report.signature?.verified).toBe(true);
      expect(report.datahashOk && report.fileChecksumsOk).toBe(true);
      expect((await stat(file)).size).toBe(p.size);
    }
  });

  it('makes each package about S × scale bytes', async () => {
    for (const src of SOURCE.filter((p) => p.size! * SCALE > 20_000)) {
      const { size } = await stat(join(repoA, 'x86_64', `${src.name}-${src.version}.apk`));
      const target = src.size! * SCALE;
      expect(Math.abs(size - target) / target).toBeLessThan(0.15);
    }
  });

  it('gives byte-identical output for the same input and key, with one thread or two', async () => {
    const repoB = join(tmp, 'b');
    await synthRepository({
      from: join(tmp, 'APKINDEX'),
      out: repoB,
      scale: SCALE,
      keyPath: synthPrivateKeyPath(repoA),
      concurrency: 2,
    });
    const files = await listFiles(join(repoA, 'x86_64'));
    expect(await listFiles(join(repoB, 'x86_64'))).toEqual(files);
    for (const f of files) {
      const [a, b] = await Promise.all([
        readFile(join(repoA, 'x86_64', f)),
        readFile(join(repoB, 'x86_64', f)),
      ]);
      expect(a.equals(b), f).toBe(true);
    }
  });

  it('reports its wall time in whole milliseconds', () => {
    expect(Number.isInteger(first.elapsedMs)).toBe(true);
  });

  it('refuses an arch the index does not have', async () => {
    await expect(
      synthRepository({ from: join(tmp, 'APKINDEX'), out: join(tmp, 'c'), arch: 'aarch64' }),
    ).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });
});
