/**
 * Bad repository indexes. The repository client loads each one from a server on 127.0.0.1
 * into a cache directory; a refused index must fail with a code and a message naming the
 * index, and must not land in the cache (an index is verified before it is cached), so the
 * next good copy is fetched and used normally.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readApkIndex, readApkIndexFile, writeApkIndex } from '../../src/apk/apkindex-file.js';
import { generateSigningKey, loadKeyring, type Keyring } from '../../src/apk/keys.js';
import type { PackageRecord } from '../../src/apk/types.js';
import { RepositoryClient } from '../../src/repo/repository-client.js';
import { buildUniverse } from '../../src/resolve/universe.js';
import { resolve as resolveWorld } from '../../src/resolve/resolve.js';
import { startRepoServer, type RepoServer } from '../../src/serve/repo-server.js';
import { describeRealdata, realdata } from '../realdata.js';
import {
  caught,
  listFiles,
  makeTemp,
  removeTemp,
  tempLeftovers,
  testKey,
  writeRepo,
  type TestRepo,
} from './fixtures.js';

const ARCH = 'x86_64';

let tmp: string;
let repo: TestRepo;
let server: RepoServer;
let good: Buffer;
let keyring: Keyring;
let cacheRoot: string;
let client: RepositoryClient;

beforeAll(async () => {
  tmp = await makeTemp('idx');
  repo = await writeRepo(join(tmp, 'repo'), [ARCH], [{ name: 'a' }, { name: 'b' }]);
  good = await readFile(indexFile());
  keyring = await loadKeyring([repo.keyPath]);
  server = await startRepoServer({ root: repo.dir });
});
afterAll(async () => {
  await server?.close();
  await removeTemp(tmp);
});
beforeEach(async () => {
  cacheRoot = await makeTemp('idx-cache');
  client = new RepositoryClient({ cacheRoot, http: { retries: 0 } });
  await writeFile(indexFile(), good);
});
afterEach(async () => {
  await client.close();
  await removeTemp(cacheRoot);
});

function indexFile(): string {
  return join(tmp, 'repo', ARCH, 'APKINDEX.tar.gz');
}

function records(): PackageRecord[] {
  return repo.records.get(ARCH) ?? [];
}

/** Nothing of the refused index is in the cache, and the good index then loads normally. */
async function expectNothingCached(): Promise<void> {
  expect(await listFiles(cacheRoot)).toEqual([]);
  expect(await tempLeftovers(cacheRoot)).toEqual([]);
  await writeFile(indexFile(), good);
  const fresh = new RepositoryClient({ cacheRoot, http: { retries: 0 } });
  try {
    const loaded = await fresh.loadIndex(server.url, ARCH, { keyring });
    expect(loaded.from).toBe('network');
    expect(loaded.index.packages.map((p) => p.name)).toEqual(['a', 'b']);
  } finally {
    await fresh.close();
  }
}

describe('repository client refuses bad indexes', () => {
  it('refuses a truncated index', async () => {
    await writeFile(indexFile(), good.subarray(0, good.length - 30));
    const err = await caught(() => client.loadIndex(server.url, ARCH, { keyring }));
    expect(err.code).toBe('ERR_INDEX_TRUNCATED');
    expect(err.message).toContain(`${server.url}/${ARCH}/APKINDEX.tar.gz`);
    expect(err.message).toContain('truncated');
    await expectNothingCached();
  });

  it('refuses an index with one bit flipped in its signed part', async () => {
    const flipped = Buffer.from(good);
    const at = flipped.length - 40;
    flipped[at] = (flipped[at] ?? 0) ^ 0x01;
    await writeFile(indexFile(), flipped);
    const err = await caught(() => client.loadIndex(server.url, ARCH, { keyring }));
    // The flip lands in the gzip stream, so its CRC catches it before the signature check.
    expect(err.code).toBe('ERR_GZIP');
    expect(err.message).toContain(`${server.url}/${ARCH}/APKINDEX.tar.gz is not valid gzip data`);
    await expectNothingCached();
  });

  it('refuses an unsigned index when a keyring is given', async () => {
    await writeFile(indexFile(), writeApkIndex({ packages: records() }));
    const err = await caught(() => client.loadIndex(server.url, ARCH, { keyring }));
    expect(err.code).toBe('ERR_UNTRUSTED');
    expect(err.message).toContain('APKINDEX.tar.gz');
    await expectNothingCached();
  });

  it('refuses an index signed by a key that is not in the keyring', async () => {
    const stranger = generateSigningKey('stranger', 1024);
    await writeFile(indexFile(), writeApkIndex({ packages: records(), key: stranger }));
    const err = await caught(() => client.loadIndex(server.url, ARCH, { keyring }));
    expect(err.code).toBe('ERR_UNTRUSTED');
    expect(err.message).toContain('stranger.rsa.pub');
    expect(err.message).toContain('not in the keyring');
    expect(err.hint).toContain('stranger.rsa.pub');
    await expectNothingCached();
  });

  it('refuses a correctly signed index whose records are malformed, naming the line', async () => {
    const [a, b] = records();
    const broken = writeApkIndex({ packages: [a!, { ...b!, name: '' }], key: testKey() });
    await writeFile(indexFile(), broken);
    const err = await caught(() => client.loadIndex(server.url, ARCH, { keyring }));
    expect(err.code).toBe('ERR_INDEX_FORMAT');
    expect(err.message).toMatch(/line \d+ of .*APKINDEX/);
    expect(err.subject.line).toBeGreaterThan(1);
    await expectNothingCached();
  });

  it('refuses an index larger than the size limit before parsing it', async () => {
    const small = new RepositoryClient({ cacheRoot, http: { retries: 0 }, maxIndexBytes: 100 });
    try {
      const err = await caught(() => small.loadIndex(server.url, ARCH, { keyring }));
      expect(err.code).toBe('ERR_SIZE_LIMIT');
      expect(`${err.message} ${err.hint ?? ''}`).toContain('maxIndexBytes');
    } finally {
      await small.close();
    }
    await expectNothingCached();
  });
});

describe('damaged index in the cache', () => {
  it('downloads the index again when the cached copy does not verify', async () => {
    await client.loadIndex(server.url, ARCH, { keyring });
    const [cached] = await listFiles(cacheRoot);
    expect(cached).toContain('/APKINDEX/');
    const path = join(cacheRoot, cached!);
    await writeFile(path, (await readFile(path)).subarray(0, 100));

    const next = new RepositoryClient({ cacheRoot, http: { retries: 0 } });
    try {
      const loaded = await next.loadIndex(server.url, ARCH, { keyring });
      expect(loaded.from).toBe('network');
      expect(loaded.index.packages.map((p) => p.name)).toEqual(['a', 'b']);
    } finally {
      await next.close();
    }
    // The damaged copy was replaced by a verified one.
    expect(Buffer.compare(await readFile(path), good)).toBe(0);
    expect(await tempLeftovers(cacheRoot)).toEqual([]);
  });
});

describe('readApkIndex limits and odd records', () => {
  it('stops an index that inflates past the decompression limit (bomb)', () => {
    // 4 MiB of index text compresses to a few KiB.
    const many: PackageRecord[] = [];
    for (let i = 0; i < 20_000; i++) {
      const r = { ...records()[0]!, name: `pkg-${i}`, description: 'x'.repeat(150) };
      many.push(r);
    }
    const bomb = writeApkIndex({ packages: many, key: testKey() });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    let thrown: unknown;
    try {
      readApkIndex(bomb, { keyring, source: 'bomb.tar.gz', maxDecompressedBytes: 1024 * 1024 });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'ERR_SIZE_LIMIT' });
    expect(String((thrown as Error).message)).toContain('bomb.tar.gz');
  });

  it('merges exact duplicate records into one package', () => {
    const [a, b] = records();
    const bytes = writeApkIndex({ packages: [a!, b!, a!], key: testKey() });
    const index = readApkIndex(bytes, { keyring });
    const universe = buildUniverse([{ url: server.url, packages: index.packages }], { arch: ARCH });
    expect(universe.packages.map((p) => p.record.name)).toEqual(['a', 'b']);
    expect(resolveWorld(['a'], universe).packages.map((p) => p.name)).toEqual(['a']);
  });

  it('resolves conflicting duplicates (same name and version, other C:) to the first one', () => {
    const [a, b] = records();
    const other = { ...a!, checksum: b!.checksum };
    for (const order of [
      [a!, other],
      [other, a!],
    ]) {
      const index = readApkIndex(writeApkIndex({ packages: order, key: testKey() }), { keyring });
      const universe = buildUniverse([{ url: server.url, packages: index.packages }], {
        arch: ARCH,
      });
      const [picked] = resolveWorld(['a'], universe).packages;
      // The fetch then checks the package against this C:, so a bogus first record is refused.
      expect(picked?.record.checksum).toBe(order[0]!.checksum);
    }
  });
});

describeRealdata('real broken index', () => {
  it('refuses the truncated Alpine v3.6 index with ERR_INDEX_TRUNCATED', async () => {
    const path = realdata(
      'apkindex',
      'broken',
      'alpine-v3.6-main-x86_64.TRUNCATED.APKINDEX.tar.gz',
    );
    const alpine = await loadKeyring([realdata('keys', 'alpine')]);
    const err = await caught(() => readApkIndexFile(path, { keyring: alpine }));
    expect(err.code).toBe('ERR_INDEX_TRUNCATED');
    expect(err.subject.path).toBe(path);
    expect(err.hint).toBeTruthy();
  });
});
