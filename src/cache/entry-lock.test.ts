import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLock, tryLock, waitForUnlock } from './entry-lock.js';

describe('entry locks', () => {
  let dir: string;
  let lockPath: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'apkgraph-lock-'));
    lockPath = join(dir, '.lock');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lets one holder in at a time and records who holds it', async () => {
    const first = await tryLock(lockPath);
    expect(first).toBeDefined();
    expect(await tryLock(lockPath)).toBeUndefined();
    expect(await readLock(lockPath)).toMatchObject({ pid: process.pid, host: hostname() });
    await first!.release();
    const second = await tryLock(lockPath);
    expect(second).toBeDefined();
    await second!.release();
  });

  it('returns from a wait once the holder releases', async () => {
    const held = await tryLock(lockPath);
    const waiting = waitForUnlock(lockPath, { pollMs: 1 });
    setTimeout(() => void held!.release(), 30);
    expect(await waiting).toBe(true);
  });

  it('breaks a lock whose holder process is gone', async () => {
    await writeFile(
      lockPath,
      JSON.stringify({ pid: 4194305, host: hostname(), time: Date.now(), token: 'dead' }),
    );
    expect(await waitForUnlock(lockPath, { pollMs: 1 })).toBe(false);
    expect(await tryLock(lockPath)).toBeDefined();
  });

  it('breaks a lock from another host only once it is older than staleMs', async () => {
    const remote = { pid: 1, host: 'elsewhere.invalid', time: 0, token: 'remote' };
    await writeFile(lockPath, JSON.stringify(remote));
    const ac = new AbortController();
    const wait = waitForUnlock(lockPath, { pollMs: 1, staleMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('still held')), 50);
    await expect(wait).rejects.toMatchObject({ code: 'ERR_ABORTED' });

    const old = new Date(Date.now() - 120_000);
    await utimes(lockPath, old, old);
    await waitForUnlock(lockPath, { pollMs: 1, staleMs: 60_000 });
    expect(await readLock(lockPath)).toBeUndefined();
  });

  it('does not remove a lock that was broken and retaken by someone else', async () => {
    const mine = await tryLock(lockPath);
    const other = { pid: process.pid, host: hostname(), time: Date.now(), token: 'theirs' };
    await writeFile(lockPath, JSON.stringify(other));
    await mine!.release();
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toMatchObject({ token: 'theirs' });
  });
});
