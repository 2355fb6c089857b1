/**
 * One fetch: download (or read from a local repository) one package, split it, verify it
 * against the index and publish its cache entries. It runs in a fetch worker or, for tests and
 * tiny runs, in the calling thread; its input and output are plain data either way.
 *
 * Publication order matters to readers that do not take the lock: the data file, then the
 * signature, then the control file. A reader treats the control file as "this entry is
 * complete", and each file appears under its final name only whole (rename), so a reader that
 * sees the control file also sees everything it points to.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ApkgraphError, AbortError, throwIfAborted, wrapError } from '../errors.js';
import type { HttpClient } from '../repo/http-client.js';
import type { FetchSource } from '../repo/location.js';
import { createAtomicWriteStream, TEMP_PREFIX, writeFileAtomic } from '../util/atomic.js';
import { isProcessAlive } from './entry-lock.js';
import { cacheFsError } from './fs-errors.js';
import { splitApk } from '../apk/apk-reader.js';

/** The work order for one package. Structured-clone data only. */
export interface FetchTask {
  source: FetchSource;
  /** `name-version`, for messages. */
  label: string;
  /** The package's cache directory. */
  dir: string;
  /** Hex SHA-1 the control member must have (from the index `C:`); unchecked when absent. */
  expectedControlSha1?: string;
  limits?: Partial<SectionLimits>;
}

/** Size limits on a package's sections. */
export interface SectionLimits {
  /** Compressed signature + control, and the control tar. Default 16 MiB. */
  maxControlBytes: number;
  /** Compressed data section. Default 1 GiB. */
  maxDataBytes: number;
}

export const DEFAULT_SECTION_LIMITS: SectionLimits = {
  maxControlBytes: 16 * 1024 * 1024,
  maxDataBytes: 1024 ** 3,
};

/** What a fetch wrote. Structured-clone data only. */
export interface FetchResult {
  controlSha1: string;
  dataSha256: string;
  controlPath: string;
  dataPath: string;
  signaturePath?: string;
  sizes: { signature: number; control: number; data: number };
  /** Bytes read from the network or disk. */
  bytesRead: number;
}

/** Runs one {@link FetchTask}. Leaves no file under a final name unless it verified. */
export async function runFetchTask(
  task: FetchTask,
  deps: { client: HttpClient; signal?: AbortSignal },
): Promise<FetchResult> {
  const { signal } = deps;
  const limits = { ...DEFAULT_SECTION_LIMITS, ...task.limits };
  throwIfAborted(signal);
  let data: Awaited<ReturnType<typeof createAtomicWriteStream>>;
  try {
    await mkdir(task.dir, { recursive: true });
    data = await createAtomicWriteStream(join(task.dir, 'data.dat.tar.gz'));
  } catch (err) {
    throw wrapError(`fetching ${task.label}`, cacheFsError(err, task.dir), 'ERR_IO', {
      package: task.label,
    });
  }
  let bytesRead = 0;
  // The splitter destroys its sinks with its own error when it fails; an 'error' event with no
  // listener would crash the thread. Write errors (a full disk) are kept and rethrown here.
  let writeError: Error | undefined;
  data.stream.on('error', (err) => (writeError ??= err));
  try {
    const source = await openSource(task, deps.client, limits, signal);
    const counted = (async function* () {
      for await (const chunk of source) {
        if (writeError) throw writeError;
        bytesRead += chunk.length;
        yield chunk;
      }
    })();
    const split = await splitApk(
      counted,
      { data: data.stream },
      {
        maxControlBytes: limits.maxControlBytes,
        maxDataBytes: limits.maxDataBytes,
        source: task.label,
        // Refused as soon as the control member is in, before the data is downloaded.
        onControl: (sha1Hex) => checkControl(task, sha1Hex),
        ...(signal ? { signal } : {}),
      },
    );
    if (writeError) throw writeError;
    const controlSha1Hex = split.control.sha1Hex;
    const datahash = split.pkginfo.get('datahash')?.toLowerCase();
    if (datahash === undefined) {
      throw new ApkgraphError('ERR_APK_CHECKSUM', `${task.label} has no datahash in .PKGINFO`, {
        package: task.label,
        hint: 'without it the data section cannot be tied to the signed index; rebuild the package',
      });
    }
    if (datahash !== split.data.sha256Hex) {
      throw new ApkgraphError(
        'ERR_APK_CHECKSUM',
        `data checksum mismatch for ${task.label} ` +
          `(datahash ${datahash}, got ${split.data.sha256Hex})`,
        {
          package: task.label,
          hint: 'the package is corrupt or was tampered with; fetch it again',
        },
      );
    }
    const sections = {
      controlSha1Hex,
      dataSha256Hex: split.data.sha256Hex,
      control: split.control.bytes,
      signature: split.signature?.bytes,
      dataSize: split.data.size,
    };
    throwIfAborted(signal);

    const dataPath = join(task.dir, `${sections.dataSha256Hex}.dat.tar.gz`);
    const controlPath = join(task.dir, `${sections.controlSha1Hex}.ctl.tar.gz`);
    const signaturePath = join(task.dir, `${sections.controlSha1Hex}.sig.tar.gz`);
    // The data file's final name is its hash, known only now: rename by hand rather than
    // through a fixed intermediate name that a concurrent writer could also use.
    if (!data.stream.closed) await once(data.stream, 'close');
    await rename(data.tempPath, dataPath);
    if (sections.signature) await writeFileAtomic(signaturePath, sections.signature);
    await writeFileAtomic(controlPath, sections.control);
    return {
      controlSha1: sections.controlSha1Hex,
      dataSha256: sections.dataSha256Hex,
      controlPath,
      dataPath,
      ...(sections.signature ? { signaturePath } : {}),
      sizes: {
        signature: sections.signature?.length ?? 0,
        control: sections.control.length,
        data: sections.dataSize,
      },
      bytesRead,
    };
  } catch (err) {
    await data.abort();
    if (signal?.aborted) throw new AbortError(signal.reason);
    // A failed write (a full disk) surfaces in the splitter as "reader stopped early"; the
    // write error itself is what the user needs to see.
    const cause = cacheFsError(writeError ?? err, task.dir);
    throw wrapError(`fetching ${task.label}`, cause, 'ERR_IO', { package: task.label });
  }
}

/** Removes temporary files this process left in `dir` (after a killed or aborted fetch). */
export async function removeOwnTempFiles(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const mine = `.${process.pid}-`;
  await Promise.all(
    names
      .filter((n) => n.startsWith(TEMP_PREFIX) && n.includes(mine))
      .map((n) => rm(join(dir, n), { force: true })),
  );
}

/**
 * Removes temporary files and moved-aside locks in `dir` whose writer process is gone (killed
 * mid-download). Call it only while holding the entry's lock, so no live writer in a process
 * that coordinates can be affected. Writers are identified by the pid in the temporary name,
 * so this assumes the processes sharing the cache run on one host.
 */
export async function removeDeadTempFiles(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (n) => {
      const pid = /^\.tmp-.*\.(\d+)-[0-9a-f]+$/.exec(n)?.[1] ?? /\.lock\.stale-(\d+)-/.exec(n)?.[1];
      if (pid !== undefined && !isProcessAlive(Number(pid)))
        await rm(join(dir, n), { force: true });
    }),
  );
}

function checkControl(task: FetchTask, got: string): void {
  if (task.expectedControlSha1 !== undefined && got !== task.expectedControlSha1) {
    throw new ApkgraphError(
      'ERR_APK_CHECKSUM',
      `control checksum mismatch for ${task.label} ` +
        `(index says ${task.expectedControlSha1}, got ${got})`,
      {
        package: task.label,
        hint:
          'the package does not match the signed index; ' +
          'the mirror may be stale or tampered with',
      },
    );
  }
}

async function openSource(
  task: FetchTask,
  client: HttpClient,
  limits: SectionLimits,
  signal: AbortSignal | undefined,
): Promise<AsyncIterable<Uint8Array>> {
  if (task.source.kind === 'http') {
    const opened = await client.open(task.source.url, {
      ...(signal ? { signal } : {}),
      limit: {
        bytes: limits.maxDataBytes + 2 * limits.maxControlBytes,
        option: 'the maxDataBytes limit of the package cache',
      },
    });
    return opened.body;
  }
  const path = task.source.path;
  const stream = createReadStream(path, signal ? { signal } : {});
  return (async function* () {
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (err) {
      if (signal?.aborted) throw new AbortError(signal.reason);
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new ApkgraphError(missing ? 'ERR_NOT_FOUND' : 'ERR_IO', `cannot read ${path}`, {
        path,
        cause: err,
        hint: missing ? 'the local repository does not hold this package' : 'check permissions',
      });
    }
  })();
}
