/**
 * Atomic file and directory publication.
 *
 * Everything apkgraph leaves on disk (cache entries, OCI layouts, locks, reports) is written
 * under a temporary name in the destination's own directory and renamed into place, so a crash
 * or a killed worker never leaves a half-written file under the final name. Temporary names
 * start with `.tmp-` so that cleaners can recognise and remove leftovers.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The prefix of every temporary file or directory apkgraph creates next to its outputs. */
export const TEMP_PREFIX = '.tmp-';

/** A fresh temporary path next to `finalPath`. */
export function tempPathFor(finalPath: string): string {
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  return join(dirname(finalPath), `${TEMP_PREFIX}${basename(finalPath)}.${tag}`);
}

/** Writes `data` to `path` atomically, creating the parent directory. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** A write stream to a temporary file that becomes `path` only on {@link commit}. */
export interface AtomicWriteStream {
  readonly stream: WriteStream;
  readonly tempPath: string;
  /** Waits for the data to be flushed, then renames the file into place. */
  commit(): Promise<void>;
  /** Destroys the stream and removes the temporary file. Safe to call more than once. */
  abort(): Promise<void>;
}

export async function createAtomicWriteStream(path: string): Promise<AtomicWriteStream> {
  await mkdir(dirname(path), { recursive: true });
  const tempPath = tempPathFor(path);
  const stream = createWriteStream(tempPath);
  // The error is kept in `stream.errored` and reported by commit(); without a listener it
  // would crash the process instead.
  stream.on('error', () => {});
  // Wait until the file exists: an abort() racing a pending open would remove nothing, and
  // the open would then create the temporary file after all.
  await once(stream, 'open');
  let settled = false;
  return {
    stream,
    tempPath,
    async commit() {
      if (settled) return;
      try {
        await new Promise<void>((resolve, reject) => {
          // A stream that already failed (or was closed after an error) must not be published.
          if (stream.errored) return reject(stream.errored);
          if (stream.closed) return resolve();
          stream.once('error', reject);
          // The writer may have ended the stream itself: then wait for the data to be flushed.
          if (stream.writableFinished) return resolve();
          if (stream.writableEnded) return void stream.once('finish', () => resolve());
          stream.end((err?: Error | null) => (err ? reject(err) : resolve()));
        });
      } catch (err) {
        settled = true;
        stream.destroy();
        await rm(tempPath, { force: true });
        throw err;
      }
      settled = true;
      await rename(tempPath, path);
    },
    async abort() {
      settled = true;
      stream.destroy();
      await rm(tempPath, { force: true });
    },
  };
}

/**
 * Fills a temporary directory with `fill`, then puts it at `finalDir`, replacing what was there.
 * If `fill` throws, the temporary directory is removed and `finalDir` is left untouched.
 */
export async function publishDirectory(
  finalDir: string,
  fill: (tempDir: string) => Promise<void>,
): Promise<void> {
  await mkdir(dirname(finalDir), { recursive: true });
  await removeDeadTempDirs(finalDir);
  const tmp = tempPathFor(finalDir);
  const aside: string[] = [];
  try {
    await mkdir(tmp, { recursive: true });
    await fill(tmp);
    // A directory cannot be renamed over a non-empty one: move the old one aside first. Another
    // process publishing the same directory may put its own there in between; move that aside
    // too and try again (the last publisher wins), a bounded number of times.
    for (let attempt = 0; ; attempt++) {
      const old = tempPathFor(finalDir);
      const moved = await rename(finalDir, old).then(
        () => true,
        () => false,
      );
      if (moved) aside.push(old);
      try {
        await rename(tmp, finalDir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 20) throw err;
      }
    }
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    // Ours never made it: put the previous directory back rather than lose it.
    const last = aside.pop();
    if (last !== undefined) await rename(last, finalDir).catch(() => aside.push(last));
    throw err;
  } finally {
    for (const old of aside) await rm(old, { recursive: true, force: true });
  }
}

/**
 * Removes temporary siblings of `finalDir` (`.tmp-<name>.<pid>-<hex>`) whose process is gone:
 * what a publisher killed half-way leaves behind. Live processes' directories are kept. A pid
 * only means something on this host, so this assumes outputs are not published into one
 * directory from several machines at once.
 */
async function removeDeadTempDirs(finalDir: string): Promise<void> {
  const prefix = `${TEMP_PREFIX}${basename(finalDir)}.`;
  const names = await readdir(dirname(finalDir)).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length))?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || processAlive(pid)) continue;
    await rm(join(dirname(finalDir), name), { recursive: true, force: true });
  }
}

/** True if a process with this pid exists on this host (EPERM: it exists, not ours). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
