import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRepoServer, type RepoServer } from '../serve/repo-server.js';
import type { FaultKind } from '../serve/faults.js';
import { HttpClient } from './http-client.js';
import { backoffDelayMs, parseRetryAfter } from './retry.js';

const PATH = '/x86_64/big-1.0-r0.apk';

describe('HttpClient', () => {
  let dir: string;
  let server: RepoServer | undefined;
  let client: HttpClient | undefined;
  // Distinct bytes everywhere, so a wrongly spliced resume cannot compare equal.
  const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7 + (i >> 8)) & 255));

  const serve = async (decide?: (n: number) => FaultKind | undefined): Promise<string> => {
    server = await startRepoServer({
      root: dir,
      faults: decide
        ? { decide: ({ seen, method }) => (method === 'GET' ? decide(seen) : undefined) }
        : {},
    });
    return `${server.url}${PATH}`;
  };
  const fastClient = (extra: ConstructorParameters<typeof HttpClient>[0] = {}): HttpClient =>
    (client = new HttpClient({ backoffBaseMs: 1, backoffMaxMs: 5, ...extra }));

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apkgraph-http-'));
    await mkdir(join(dir, 'x86_64'));
    await writeFile(join(dir, PATH), body);
  });
  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = undefined;
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('retries a 500 and returns the body of the following 200', async () => {
    const url = await serve((n) => (n === 0 ? 'fail' : undefined));
    const { bytes, etag } = await fastClient().getBytes(url);
    expect(bytes.equals(body)).toBe(true);
    expect(etag).toMatch(/^"[0-9a-f]+"$/);
    expect(server?.counts().get(PATH)?.get).toBe(2);
  });

  it('resumes a body cut mid-way with a Range request', async () => {
    const url = await serve((n) => (n === 0 ? 'reset' : undefined));
    const { bytes } = await fastClient().getBytes(url);
    expect(bytes.equals(body)).toBe(true);
    const counts = server?.counts().get(PATH);
    expect(counts?.get).toBe(2);
    // About half the body, then the rest: a restart from zero would send 1.5 bodies or more.
    // (Bytes in flight when the socket was destroyed are lost, so the resume overlaps a little.)
    expect(counts?.bytes).toBeLessThan(body.length * 1.25);
  });

  it('retries after a 429 and succeeds', async () => {
    const url = await serve((n) => (n < 2 ? 'status429' : undefined));
    // Retry-After: 1 is capped by backoffMaxMs, so the test does not wait a second.
    const { bytes } = await fastClient().getBytes(url);
    expect(bytes.length).toBe(body.length);
    expect(server?.counts().get(PATH)?.get).toBe(3);
  });

  it('gives up with ERR_HTTP after the configured retries', async () => {
    const url = await serve(() => 'fail');
    await expect(fastClient({ retries: 2 }).getBytes(url)).rejects.toMatchObject({
      code: 'ERR_HTTP',
    });
    expect(server?.counts().get(PATH)?.get).toBe(3);
  });

  it('fails a 404 at once with ERR_NOT_FOUND', async () => {
    await serve();
    const url = `${server?.url}/x86_64/none.apk`;
    await expect(fastClient().getBytes(url)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(server?.counts().get('/x86_64/none.apk')?.get).toBe(1);
  });

  it('times out a stalled body, then resumes it', async () => {
    const url = await serve((n) => (n === 0 ? 'stall' : undefined));
    const { bytes } = await fastClient({ requestTimeoutMs: 200 }).getBytes(url);
    expect(bytes.equals(body)).toBe(true);
  });

  it('rejects a body over the size limit naming the option', async () => {
    const url = await serve();
    const err: unknown = await fastClient()
      .getBytes(url, { limit: { bytes: 1000, option: 'maxDataBytes (--max-data)' } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_SIZE_LIMIT' });
    expect((err as { hint: string }).hint).toContain('maxDataBytes');
  });

  it('reports ETag and size from HEAD', async () => {
    const url = await serve();
    const head = await fastClient().head(url);
    expect(head).toMatchObject({ supported: true, size: body.length });
    expect(head.etag).toBeDefined();
  });

  it('stops with ERR_ABORTED when the signal fires', async () => {
    const url = await serve(() => 'fail');
    const ac = new AbortController();
    ac.abort(new Error('user pressed ^C'));
    await expect(fastClient().getBytes(url, { signal: ac.signal })).rejects.toMatchObject({
      code: 'ERR_ABORTED',
    });
  });
});

describe('backoffDelayMs', () => {
  it('grows exponentially with jitter and honours Retry-After up to the cap', () => {
    const opts = { baseMs: 100, maxMs: 1000, random: () => 0.999 };
    expect(backoffDelayMs(0, opts)).toBeCloseTo(100, -1);
    expect(backoffDelayMs(2, opts)).toBeCloseTo(400, -1);
    expect(backoffDelayMs(10, opts)).toBeLessThanOrEqual(1000);
    expect(backoffDelayMs(0, { ...opts, random: () => 0 })).toBe(50);
    expect(backoffDelayMs(0, opts, 700)).toBe(700);
    expect(backoffDelayMs(0, opts, 5000)).toBe(1000);
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('nonsense')).toBeUndefined();
  });
});
