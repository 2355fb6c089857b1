/**
 * Bad packages reaching the shared cache. A repository server on 127.0.0.1 serves a signed
 * index whose records are genuine, and package files that are not: each test swaps one file,
 * asks the cache for it and checks that the cache refuses it with a code and a message naming
 * the package, publishes no entry for it, leaves no `.tmp-` file, and still serves and verifies
 * the packages that were fine.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyApkFile } from '../../src/apk/apk-verify.js';
import { writeApk } from '../../src/apk/apk-writer.js';
import { readGzipMember } from '../../src/apk/gzip-streams.js';
import { loadKeyring } from '../../src/apk/keys.js';
import type { PackageRecord } from '../../src/apk/types.js';
import { FetchPool } from '../../src/cache/fetch-pool.js';
import type { SectionLimits } from '../../src/cache/fetch-task.js';
import { PackageCache } from '../../src/cache/package-cache.js';
import { startRepoServer, type RepoServer } from '../../src/serve/repo-server.js';
import { describeRealdata, realdata } from '../realdata.js';
import {
  caught,
  expectCacheClean,
  makeApk,
  makeTemp,
  removeTemp,
  tempLeftovers,
  testKey,
  writeRepo,
  hasDist,
  runCli,
  type TestRepo,
} from './fixtures.js';

const ARCH = 'x86_64';
const PKGS = ['good', 'victim', 'other'].map((name) => ({ name, payloadBytes: 8192 }));

let tmp: string;
let repo: TestRepo;
let server: RepoServer;
let original: Buffer;
let cacheRoot: string;
let pool: FetchPool;

beforeAll(async () => {
  tmp = await makeTemp('pkg');
  repo = await writeRepo(join(tmp, 'repo'), [ARCH], PKGS);
  original = await readFile(victimFile());
  server = await startRepoServer({ root: repo.dir });
});
afterAll(async () => {
  await server?.close();
  await removeTemp(tmp);
});
beforeEach(async () => {
  cacheRoot = await makeTemp('pkg-cache');
  pool = new FetchPool({ inProcess: true, http: { retries: 0 } });
  await writeFile(victimFile(), original);
});
afterEach(async () => {
  await pool.close();
  await removeTemp(cacheRoot);
});

function victimFile(): string {
  return join(tmp, 'repo', ARCH, 'victim-1.0-r0.apk');
}

function record(name: string): PackageRecord {
  const r = repo.records.get(ARCH)?.find((x) => x.name === name);
  if (!r) throw new Error(`no fixture ${name}`);
  return r;
}

function ref(name: string, override: Partial<PackageRecord> = {}) {
  const r = { ...record(name), ...override };
  return {
    repository: server.url,
    arch: ARCH,
    name: r.name,
    version: r.version,
    ...(r.checksum ? { checksum: r.checksum } : {}),
    ...(r.size ? { size: r.size } : {}),
  };
}

function newCache(limits: Partial<SectionLimits> = {}): PackageCache {
  return new PackageCache({ root: cacheRoot, fetcher: pool, limits });
}

/** The gzip members of a package: signature, control, data. */
function members(apk: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  while (off < apk.length && out.length < 2) {
    const m = readGzipMember(apk, off, 'fixture', 64 * 1024 * 1024);
    if (!m) throw new Error('fixture package is cut short');
    out.push(apk.subarray(off, m.end));
    off = m.end;
  }
  out.push(apk.subarray(off));
  return out;
}

/** The refused package has no entry, nothing is half-written, the rest still works. */
async function expectVictimRefusedCleanly(cache: PackageCache): Promise<void> {
  const dir = cache.entryPaths(ref('victim')).dir;
  const left = (await readdir(dir).catch(() => [] as string[])).filter((n) => n !== '.lock');
  expect(left).toEqual([]);
  expect(await tempLeftovers(cacheRoot)).toEqual([]);
  const good = await newCache().ensure(ref('good'));
  expect(good.status).toBe('miss');
  expect(await expectCacheClean(cacheRoot)).toBe(1);
}

describe('cache refuses bad packages', () => {
  it('refuses a package whose control section was edited (C: no longer matches)', async () => {
    // The same package rebuilt with one more dependency: a valid package, not the indexed one.
    const edited = makeApk(ARCH, { name: 'victim', payloadBytes: 8192, depends: ['evil'] });
    await writeFile(victimFile(), edited.bytes);
    const cache = newCache();
    const err = await caught(() => cache.ensure(ref('victim')));
    expect(err.code).toBe('ERR_APK_CHECKSUM');
    expect(err.message).toContain('control checksum mismatch for victim-1.0-r0');
    expect(err.subject.package).toBe('victim-1.0-r0');
    expect(err.hint).toMatch(/tampered|stale/);
    await expectVictimRefusedCleanly(cache);
  });

  it('refuses a package whose data section was swapped (datahash differs)', async () => {
    const other = makeApk(ARCH, { name: 'victim', payloadBytes: 8192, version: '1.0-r0' });
    const otherData = members(Buffer.from(makeApk(ARCH, { name: 'x', payloadBytes: 8192 }).bytes));
    const [sig, control] = members(Buffer.from(other.bytes));
    await writeFile(victimFile(), Buffer.concat([sig!, control!, otherData[2]!]));
    const cache = newCache();
    const err = await caught(() => cache.ensure(ref('victim')));
    expect(err.code).toBe('ERR_APK_CHECKSUM');
    expect(err.message).toContain('data checksum mismatch for victim-1.0-r0');
    await expectVictimRefusedCleanly(cache);
  });

  it('refuses a genuine package when the index names another C:', async () => {
    const cache = newCache();
    const err = await caught(() =>
      cache.ensure(ref('victim', { checksum: record('other').checksum })),
    );
    expect(err.code).toBe('ERR_APK_CHECKSUM');
    expect(err.message).toContain(`index says`);
    expect(err.message).toContain('victim-1.0-r0');
    await expectVictimRefusedCleanly(cache);
  });

  it('refuses an .apk cut short inside its data section', async () => {
    await writeFile(victimFile(), original.subarray(0, Math.floor(original.length * 0.6)));
    const cache = newCache();
    const err = await caught(() => cache.ensure(ref('victim')));
    // The data hash covers the whole member, so a cut shows up as a datahash mismatch.
    expect(err.code).toBe('ERR_APK_CHECKSUM');
    expect(err.message).toContain('data checksum mismatch for victim-1.0-r0');
    await expectVictimRefusedCleanly(cache);
  });

  it('refuses an .apk cut short inside its control section', async () => {
    const [sig] = members(original);
    await writeFile(victimFile(), original.subarray(0, sig!.length + 40));
    const cache = newCache();
    const err = await caught(() => cache.ensure(ref('victim')));
    expect(err.code).toBe('ERR_APK_FORMAT');
    expect(err.message).toContain('victim-1.0-r0 ends before its control section does');
    expect(err.hint).toMatch(/truncated/);
    await expectVictimRefusedCleanly(cache);
  });

  it('refuses a package with one bit flipped in its data', async () => {
    const flipped = Buffer.from(original);
    const at = flipped.length - 200;
    flipped[at] = (flipped[at] ?? 0) ^ 0x10;
    await writeFile(victimFile(), flipped);
    const cache = newCache();
    const err = await caught(() => cache.ensure(ref('victim')));
    expect(['ERR_GZIP', 'ERR_APK_CHECKSUM']).toContain(err.code);
    expect(err.message).toContain('victim-1.0-r0');
    await expectVictimRefusedCleanly(cache);
  });

  it('stops a control section that inflates past the limit (decompression bomb)', async () => {
    // A 20 MiB install script compresses to ~20 KiB; the default control limit is 16 MiB.
    const big = bombApk('x'.repeat(20 * 1024 * 1024));
    expect(big.length).toBeLessThan(200 * 1024);
    await writeFile(victimFile(), big);
    const cache = newCache();
    const err = await caught(() => cache.ensure(ref('victim', { checksum: undefined })));
    expect(err.code).toBe('ERR_SIZE_LIMIT');
    expect(err.message).toContain('victim');
    await expectVictimRefusedCleanly(cache);
  });

  it('stops a data section larger than the configured limit and names the option', async () => {
    const cache = newCache({ maxDataBytes: 1024 });
    const err = await caught(() => cache.ensure(ref('victim')));
    expect(err.code).toBe('ERR_SIZE_LIMIT');
    expect(err.message).toContain('victim-1.0-r0');
    expect(err.message).toContain('larger than 1024 bytes');
    expect(err.hint).toMatch(/data size limit/);
    await expectVictimRefusedCleanly(cache);
  });
});

describe('abandoned locks', () => {
  it('breaks the lock of a process that died and fetches the package', async () => {
    // A real pid that is certainly gone: a child that has already exited.
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const cache = newCache();
    const lockPath = cache.entryPaths(ref('victim')).lockPath;
    await mkdir(dirname(lockPath), { recursive: true });
    await writeFile(
      lockPath,
      JSON.stringify({ pid: dead, host: hostname(), time: Date.now(), token: 'abandoned' }),
    );
    const got = await cache.ensure(ref('victim'));
    expect(got.status).toBe('miss');
    const left = await readdir(dirname(lockPath));
    expect(left.filter((n) => n.startsWith('.lock'))).toEqual([]);
    expect(await expectCacheClean(cacheRoot)).toBe(1);
    expect(await tempLeftovers(cacheRoot)).toEqual([]);
  });
});

describe.skipIf(!hasDist)('damaged cache entries', () => {
  it('cache verify exits 1 with ERR_CACHE_CORRUPT, --fix removes it, the next fetch repairs it', async () => {
    const cache = newCache();
    const first = await cache.ensure(ref('victim'));
    // A byte flipped on disk after the entry was published (bit rot, a stray editor).
    const data = Buffer.from(await readFile(first.dataPath));
    const at = Math.floor(data.length / 2);
    data[at] = (data[at] ?? 0) ^ 0x40;
    await writeFile(first.dataPath, data);

    const verify = await runCli(['cache', 'verify', '--cache-dir', cacheRoot]);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain('error[ERR_CACHE_CORRUPT]');
    expect(verify.stdout).toContain('victim-1.0-r0');
    expect(verify.stderr).toContain('cache verify --fix');

    const fix = await runCli(['cache', 'verify', '--fix', '--cache-dir', cacheRoot]);
    expect(fix.code).toBe(0);
    expect(fix.stdout).toContain('1 removed');

    const again = await newCache().ensure(ref('victim'));
    expect(again.status).toBe('miss');
    expect(await expectCacheClean(cacheRoot)).toBe(1);
    expect(await tempLeftovers(cacheRoot)).toEqual([]);
  });

  it('notices a damaged entry on its own and fetches it again', async () => {
    const first = await newCache().ensure(ref('victim'));
    await writeFile(first.dataPath, Buffer.alloc(10));
    const cache = newCache();
    const again = await cache.ensure(ref('victim'));
    expect(again.status).toBe('miss');
    expect(cache.stats().repaired).toBe(1);
    expect(await expectCacheClean(cacheRoot)).toBe(1);
  });
});

/** A signed package `victim` whose control section carries `script`. */
function bombApk(script: string): Buffer {
  const apk = writeApk({
    pkginfo: [
      ['pkgname', 'victim'],
      ['pkgver', '1.0-r0'],
      ['arch', ARCH],
    ],
    files: [{ path: 'usr/share/x', content: 'x' }],
    scripts: { '.post-install': script },
    key: testKey(),
  });
  return Buffer.from(apk.bytes);
}

describeRealdata('real tampered Wolfi packages', () => {
  for (const file of ['aws-c-s3-0.4.9-r0.aarch64.apk', 'neon-4604-r0.aarch64.apk']) {
    it(`refuses ${file}: datahash and signature fail`, async () => {
      const keyring = await loadKeyring([realdata('keys', 'wolfi')]);
      const path = realdata('apk', 'wolfi-tampered', file);
      const err = await caught(() => verifyApkFile(path, { keyring }));
      expect(['ERR_APK_CHECKSUM', 'ERR_SIGNATURE']).toContain(err.code);
      expect(err.subject.path).toBe(path);
      expect(err.message).toContain(file.split('.aarch64')[0]!);
    });
  }
});
