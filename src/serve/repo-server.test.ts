import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLoopbackHost, startRepoServer, type RepoServer } from './repo-server.js';
import { parseBandwidth } from './throttle.js';

describe('startRepoServer', () => {
  let dir: string;
  let server: RepoServer | undefined;
  const body = Buffer.from('0123456789abcdef'.repeat(64));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apkgraph-serve-'));
    await mkdir(join(dir, 'x86_64'));
    await writeFile(join(dir, 'x86_64', 'a-1.0-r0.apk'), body);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('serves files with a stable ETag and counts requests per path', async () => {
    server = await startRepoServer({ root: dir });
    const url = `${server.url}/x86_64/a-1.0-r0.apk`;
    const r1 = await fetch(url);
    expect(Buffer.from(await r1.arrayBuffer())).toEqual(body);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.headers.get('etag')).toBe(r1.headers.get('etag'));
    expect(head.headers.get('content-length')).toBe(String(body.length));
    expect(server.counts().get('/x86_64/a-1.0-r0.apk')).toEqual({
      get: 1,
      head: 1,
      bytes: body.length,
    });
    const stats = (await (await fetch(`${server.url}/_stats`)).json()) as {
      totals: { get: number };
    };
    expect(stats.totals.get).toBe(1);
  });

  it('refuses dot-files, dot-folders and PEM private keys with 404', async () => {
    await mkdir(join(dir, '.keys'));
    await writeFile(join(dir, '.keys', 'k.pub'), 'public');
    await writeFile(join(dir, '.env'), 'secret');
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n';
    await writeFile(join(dir, 'signer.rsa'), pem);
    await writeFile(join(dir, 'signer.rsa.pub'), '-----BEGIN PUBLIC KEY-----\nMIIB\n');
    server = await startRepoServer({ root: dir });
    for (const path of ['/.keys/k.pub', '/.env', '/signer.rsa', '/x86_64/../.env']) {
      const r = await fetch(`${server.url}${path.replace('..', '%2E%2E')}`);
      expect([path, r.status]).toEqual([path, 404]);
    }
    expect((await fetch(`${server.url}/signer.rsa.pub`)).status).toBe(200);
  });

  it('fails with ERR_IO naming a root that is missing or a file', async () => {
    for (const root of [join(dir, 'missing'), join(dir, 'x86_64', 'a-1.0-r0.apk')]) {
      await expect(startRepoServer({ root })).rejects.toMatchObject({
        code: 'ERR_IO',
        subject: { path: root },
      });
    }
  });

  it('answers a byte range with 206 and a missing file with 404', async () => {
    server = await startRepoServer({ root: dir });
    const r = await fetch(`${server.url}/x86_64/a-1.0-r0.apk`, {
      headers: { range: 'bytes=10-19' },
    });
    expect(r.status).toBe(206);
    expect(r.headers.get('content-range')).toBe(`bytes 10-19/${body.length}`);
    expect(Buffer.from(await r.arrayBuffer())).toEqual(body.subarray(10, 20));
    expect((await fetch(`${server.url}/x86_64/missing.apk`)).status).toBe(404);
    expect((await fetch(`${server.url}/../etc/passwd`)).status).toBe(404);
  });

  it('injects the faults a decide hook asks for', async () => {
    server = await startRepoServer({
      root: dir,
      faults: {
        decide: ({ seen }) => (seen === 0 ? 'fail' : seen === 1 ? 'status429' : undefined),
      },
    });
    const url = `${server.url}/x86_64/a-1.0-r0.apk`;
    expect((await fetch(url)).status).toBe(500);
    const limited = await fetch(url);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await fetch(url)).status).toBe(200);
  });

  it('refuses a non-loopback host unless allowed', async () => {
    await expect(startRepoServer({ root: dir, host: '0.0.0.0' })).rejects.toMatchObject({
      code: 'ERR_USAGE',
    });
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
  });
});

describe('parseBandwidth', () => {
  it('reads binary and decimal units', () => {
    expect(parseBandwidth('50MiB/s')).toBe(50 * 1024 * 1024);
    expect(parseBandwidth('2MB/s')).toBe(2e6);
    expect(parseBandwidth('1000')).toBe(1000);
    expect(() => parseBandwidth('fast')).toThrow(RangeError);
  });
});
