import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeApkIndex } from '../apk/apkindex-file.js';
import { createKeyring, generateSigningKey, type Keyring } from '../apk/keys.js';
import { newPackageRecord } from '../apk/types.js';
import { startRepoServer, type RepoServer } from '../serve/repo-server.js';
import type { ApkgraphError } from '../errors.js';
import { RepositoryClient } from './repository-client.js';

const ARCH = 'aarch64';
const INDEX = `/${ARCH}/APKINDEX.tar.gz`;

describe('RepositoryClient', () => {
  let tmp: string;
  let server: RepoServer;
  let keyring: Keyring;
  const clients: RepositoryClient[] = [];
  const key = generateSigningKey('test-key', 1024);

  const client = (
    extra: ConstructorParameters<typeof RepositoryClient>[0] = {},
  ): RepositoryClient => {
    const c = new RepositoryClient({ cacheRoot: join(tmp, 'cache'), ...extra });
    clients.push(c);
    return c;
  };
  const writeIndex = async (names: string[]): Promise<void> => {
    const packages = names.map((n) => newPackageRecord(n, '1.0-r0', ARCH));
    await writeFile(join(tmp, 'repo', ARCH, 'APKINDEX.tar.gz'), writeApkIndex({ packages, key }));
  };

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'apkgraph-repo-'));
    await mkdir(join(tmp, 'repo', ARCH), { recursive: true });
    await writeIndex(['a', 'b']);
    keyring = createKeyring([{ name: key.name, pem: key.publicKeyPem }]);
    server = await startRepoServer({ root: join(tmp, 'repo') });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('HEADs an index once per run and reuses the cached file across runs', async () => {
    const run1 = client();
    const first = await run1.loadIndex(server.url, ARCH, { keyring });
    expect(first.from).toBe('network');
    expect(first.index.packages.map((p) => p.name)).toEqual(['a', 'b']);
    expect(first.index.verifiedBy).toBe(key.name);
    // Concurrent and later loads in the same run share the first fetch.
    const more = await Promise.all(
      [1, 2, 3].map(() => run1.loadIndex(server.url, ARCH, { keyring })),
    );
    expect(more.every((m) => m.index.packages.length === 2)).toBe(true);
    expect(server.counts().get(INDEX)).toMatchObject({ head: 1, get: 1 });

    const third = await client().loadIndex(server.url, ARCH, { keyring });
    expect(third.from).toBe('cache');
    expect(server.counts().get(INDEX)).toMatchObject({ head: 2, get: 1 });
  });

  it('downloads again when the ETag changes', async () => {
    await client().loadIndex(server.url, ARCH, { keyring });
    await writeIndex(['a', 'b', 'c']);
    const fresh = await client().loadIndex(server.url, ARCH, { keyring });
    expect(fresh.from).toBe('network');
    expect(fresh.index.packages).toHaveLength(3);
  });

  it('uses the newest cached index offline and fails clearly without one', async () => {
    await client().loadIndex(server.url, ARCH, { keyring });
    const offline = await client({ offline: true }).loadIndex(server.url, ARCH, { keyring });
    expect(offline.from).toBe('cache');
    await expect(
      client({ offline: true }).loadIndex(`${server.url}/other`, ARCH, { keyring }),
    ).rejects.toMatchObject({ code: 'ERR_OFFLINE_MISSING' });
  });

  it('rejects an index signed by an unknown key and does not cache it', async () => {
    const stranger = createKeyring([
      { name: 'other.rsa.pub', pem: generateSigningKey('other', 1024).publicKeyPem },
    ]);
    await expect(client().loadIndex(server.url, ARCH, { keyring: stranger })).rejects.toMatchObject(
      { code: 'ERR_UNTRUSTED', hint: expect.stringContaining('--keyring FILE') as string },
    );
    await expect(
      client({ offline: true }).loadIndex(server.url, ARCH, { keyring }),
    ).rejects.toMatchObject({ code: 'ERR_OFFLINE_MISSING' });
  });

  it('tells how to trust a key, not to allow unsigned indexes, for an unsigned index', async () => {
    const plain = join(tmp, 'plain');
    await mkdir(join(plain, ARCH), { recursive: true });
    await writeFile(join(plain, ARCH, 'APKINDEX.tar.gz'), 'P:a\nV:1-r0\n\n');
    const other = await startRepoServer({ root: plain });
    try {
      const err = (await client()
        .loadIndex(other.url, ARCH, { keyring })
        .then(
          () => undefined,
          (e: unknown) => e,
        )) as ApkgraphError;
      expect(err).toMatchObject({ code: 'ERR_UNTRUSTED' });
      expect(err.hint).toContain('--keyring FILE');
      expect(err.hint).not.toContain('allow unsigned');
    } finally {
      await other.close();
    }
  });

  it('re-downloads an index without ETag every run but can still use it offline', async () => {
    await server.close();
    server = await startRepoServer({ root: join(tmp, 'repo'), etags: false });
    expect((await client().loadIndex(server.url, ARCH, { keyring })).from).toBe('network');
    expect((await client().loadIndex(server.url, ARCH, { keyring })).from).toBe('network');
    expect(server.counts().get(INDEX)?.get).toBe(2);
    const offline = await client({ offline: true }).loadIndex(server.url, ARCH, { keyring });
    expect(offline.index.packages).toHaveLength(2);
  });

  it('downloads an index again when its cached copy is damaged', async () => {
    const first = await client().loadIndex(server.url, ARCH, { keyring });
    await writeFile(first.path!, (await readFile(first.path!)).subarray(0, 100));
    const again = await client().loadIndex(server.url, ARCH, { keyring });
    expect(again.from).toBe('network');
    expect(again.index.packages).toHaveLength(2);
    expect(server.counts().get(INDEX)?.get).toBe(2);
    expect((await readFile(first.path!)).length).toBeGreaterThan(100);
  });

  it('falls back to an older cached index offline when the newest is damaged', async () => {
    const older = await client().loadIndex(server.url, ARCH, { keyring });
    await writeIndex(['a', 'b', 'c']);
    const newer = await client().loadIndex(server.url, ARCH, { keyring });
    expect(newer.path).not.toBe(older.path);
    const past = new Date(Date.now() - 60_000);
    await utimes(older.path!, past, past);
    await writeFile(newer.path!, 'garbage');
    const offline = await client({ offline: true }).loadIndex(server.url, ARCH, { keyring });
    expect(offline.path).toBe(older.path);
    expect(offline.index.packages).toHaveLength(2);
  });

  it('reads a local repository in place', async () => {
    const local = await client().loadIndex(join(tmp, 'repo'), ARCH, { keyring });
    expect(local.from).toBe('local');
    expect(server.counts().size).toBe(0);
  });

  it('fetches a key by URL once and serves it offline later', async () => {
    await writeFile(join(tmp, 'repo', key.name), key.publicKeyPem);
    const ring = await client().loadKeyring([`${server.url}/${key.name}`]);
    expect(ring.names).toEqual([key.name]);
    const again = await client({ offline: true }).loadKeyring([`${server.url}/${key.name}`]);
    expect(again.names).toEqual([key.name]);
    expect(server.counts().get(`/${key.name}`)?.get).toBe(1);
  });
});
