/**
 * Content-addressed blob output for OCI layouts.
 *
 * A layer is written once, streaming: the uncompressed tar bytes are hashed for the diff_id
 * while they go into gzip, and the compressed bytes are hashed and counted on their way to a
 * temporary file, which is renamed to `blobs/sha256/<digest>` only when complete. Gzip settings
 * are fixed (level 6, default window and memory, no file name or time in the header), so the
 * same tar always gives the same blob digest on a given zlib.
 */
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip, type Gzip } from 'node:zlib';
import { ApkgraphError, throwIfAborted, wrapError } from '../errors.js';
import { createAtomicWriteStream, writeFileAtomic } from '../util/atomic.js';

/** Where a blob ended up. */
export interface BlobInfo {
  /** `sha256:<hex>`. */
  digest: string;
  size: number;
}

/** The gzip options of every layer apkgraph writes; changing them changes every digest. */
export const LAYER_GZIP_OPTIONS = {
  level: 6,
  memLevel: 8,
  windowBits: 15,
  strategy: constants.Z_DEFAULT_STRATEGY,
} as const;

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
  readonly #gzip: Gzip;
  readonly #diffHash: Hash = createHash('sha256');
  readonly #blobHash: Hash = createHash('sha256');
  readonly #done: Promise<void>;
  readonly #abortTemp: () => Promise<void>;
  readonly #commit: (finalPath: string) => Promise<void>;
  #uncompressed = 0;
  #compressed = 0;
  #failed: unknown;

  private constructor(
    blobsDir: string,
    temp: { stream: NodeJS.WritableStream; abort(): Promise<void>; tempPath: string },
  ) {
    this.#blobsDir = blobsDir;
    this.#gzip = createGzip(LAYER_GZIP_OPTIONS);
    const count = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.#blobHash.update(chunk);
        this.#compressed += chunk.length;
        cb(null, chunk);
      },
    });
    this.#done = pipeline(this.#gzip, count, temp.stream);
    this.#done.catch((err: unknown) => {
      this.#failed = err;
    });
    this.#abortTemp = () => temp.abort();
    this.#commit = (finalPath) => rename(temp.tempPath, finalPath);
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

  /** Adds uncompressed bytes, waiting when gzip is behind. */
  async write(chunk: Buffer, signal?: AbortSignal): Promise<void> {
    if (this.#failed !== undefined) throw wrapError('writing a layer blob', this.#failed, 'ERR_IO');
    this.#diffHash.update(chunk);
    this.#uncompressed += chunk.length;
    if (!this.#gzip.write(chunk)) {
      throwIfAborted(signal);
      await Promise.race([once(this.#gzip, 'drain'), this.#done]);
    }
  }

  /** Flushes gzip, renames the blob to its digest and returns the digests. */
  async finish(): Promise<LayerBlobInfo> {
    this.#gzip.end();
    await this.#done;
    const digest = `sha256:${this.#blobHash.digest('hex')}`;
    await this.#commit(blobPath(this.#blobsDir, digest));
    return {
      digest,
      size: this.#compressed,
      diffId: `sha256:${this.#diffHash.digest('hex')}`,
      uncompressedSize: this.#uncompressed,
    };
  }

  /** Stops writing and removes the temporary file. */
  async abort(): Promise<void> {
    this.#gzip.destroy();
    await this.#done.catch(() => {});
    await this.#abortTemp();
  }
}
