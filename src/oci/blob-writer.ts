/**
 * Content-addressed blob output for OCI layouts.
 *
 * A layer is written once, streaming: the uncompressed tar bytes are hashed for the diff_id
 * while they go into gzip, and the compressed bytes are hashed and counted on their way to a
 * temporary file, which is renamed to `blobs/sha256/<digest>` only when complete. Gzip settings
 * are fixed (level 6, default window and memory, 1 MiB chunks, no file name or time in the
 * header), so the same tar always gives the same blob digest on a given zlib.
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { constants } from 'node:zlib';
import { ApkgraphError, throwIfAborted, wrapError } from '../errors.js';
import {
  createAtomicWriteStream,
  writeFileAtomic,
  type AtomicWriteStream,
} from '../util/atomic.js';
import { GuardedWriter } from '../util/guarded-writer.js';
import { ParallelGzip } from './parallel-gzip.js';

/** Where a blob ended up. */
export interface BlobInfo {
  /** `sha256:<hex>`. */
  digest: string;
  size: number;
}

/**
 * The gzip settings of every layer apkgraph writes; changing any of them changes every digest.
 * The window is always 32 KiB. Chunks of 1 MiB are compressed on separate threads (see
 * {@link ParallelGzip}); the cut points, not the thread count, fix the output.
 */
export const LAYER_GZIP_OPTIONS = {
  level: 6,
  memLevel: 8,
  strategy: constants.Z_DEFAULT_STRATEGY,
  chunkBytes: 1 << 20,
} as const;

/** Layer chunks compressed at once: enough to keep a few cores busy, each about 2 MiB. */
const GZIP_IN_FLIGHT = 4;

/** The path of a blob with `digest` under a `blobs/sha256` directory. */
export function blobPath(blobsDir: string, digest: string): string {
  const hex = digest.replace(/^sha256:/, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new ApkgraphError('ERR_OCI', `not a sha256 digest: "${digest}"`);
  }
  return join(blobsDir, hex);
}

/** Writes a small blob (JSON documents) atomically and returns its descriptor fields. */
export async function writeBlob(blobsDir: string, data: Buffer | string): Promise<BlobInfo> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const path = blobPath(blobsDir, digest);
  const existing = await stat(path).catch(() => undefined);
  if (existing?.size !== bytes.length) await writeFileAtomic(path, bytes);
  return { digest, size: bytes.length };
}

/** The result of a finished {@link GzipBlobWriter}. */
export interface LayerBlobInfo extends BlobInfo {
  /** `sha256:<hex>` of the uncompressed tar. */
  diffId: string;
  /** Size of the uncompressed tar in bytes. */
  uncompressedSize: number;
}

/**
 * A gzip-compressed blob being written. Call {@link write} with tar bytes, then
 * {@link finish}; on any failure call {@link abort}, which removes the temporary file.
 */
export class GzipBlobWriter {
  readonly #blobsDir: string;
  readonly #gzip: ParallelGzip;
  readonly #diffHash: Hash = createHash('sha256');
  readonly #blobHash: Hash = createHash('sha256');
  readonly #temp: AtomicWriteStream;
  readonly #out: GuardedWriter;
  #compressed = 0;

  private constructor(blobsDir: string, temp: AtomicWriteStream) {
    this.#blobsDir = blobsDir;
    this.#temp = temp;
    this.#out = new GuardedWriter(temp.stream);
    this.#gzip = new ParallelGzip({
      ...LAYER_GZIP_OPTIONS,
      inFlight: GZIP_IN_FLIGHT,
      output: async (bytes) => {
        this.#blobHash.update(bytes);
        this.#compressed += bytes.length;
        await this.#out.write(bytes);
      },
    });
  }

  /**
   * Opens a writer whose temporary file lives in `scratchDir` (default `blobsDir`; it must be
   * on the same filesystem, since the finished file is renamed into `blobsDir`).
   */
  static async open(blobsDir: string, scratchDir = blobsDir): Promise<GzipBlobWriter> {
    await mkdir(blobsDir, { recursive: true });
    const temp = await createAtomicWriteStream(join(scratchDir, 'layer'));
    return new GzipBlobWriter(blobsDir, temp);
  }

  /**
   * Adds uncompressed bytes, waiting when gzip is behind. The writer may keep `chunk` until it
   * is compressed; the caller must not reuse it.
   */
  async write(chunk: Buffer, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    this.#diffHash.update(chunk);
    try {
      await this.#gzip.write(chunk);
    } catch (err) {
      throw wrapError('writing a layer blob', err, 'ERR_IO');
    }
  }

  /** Flushes gzip, renames the blob to its digest and returns the digests. */
  async finish(): Promise<LayerBlobInfo> {
    try {
      await this.#gzip.end();
      await this.#out.end();
    } catch (err) {
      throw wrapError('writing a layer blob', err, 'ERR_IO');
    }
    const digest = `sha256:${this.#blobHash.digest('hex')}`;
    await rename(this.#temp.tempPath, blobPath(this.#blobsDir, digest));
    return {
      digest,
      size: this.#compressed,
      diffId: `sha256:${this.#diffHash.digest('hex')}`,
      uncompressedSize: this.#gzip.size,
    };
  }

  /** Stops writing and removes the temporary file. */
  async abort(): Promise<void> {
    this.#gzip.abandon();
    await this.#temp.abort();
  }
}
