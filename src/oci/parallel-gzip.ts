/**
 * Gzip compression on several threads with output that does not depend on the thread count.
 *
 * The input is cut into fixed-size chunks. Each chunk is deflated on its own (on libuv's thread
 * pool) with the 32 KiB before it as the preset dictionary, so matches can still reach back
 * across the cut, and ends with a sync flush: an empty stored block that byte-aligns the output
 * without marking it final. The last chunk ends the stream. Concatenated, the pieces form one
 * ordinary deflate stream inside one gzip member (pigz writes the same shape), which every gzip
 * reader accepts. Because the cuts fall at fixed offsets and each piece depends only on its
 * chunk and the bytes before it, the result is the same whether one chunk or many are in flight.
 */
import { promisify } from 'node:util';
import { constants, crc32, deflateRaw, type ZlibOptions } from 'node:zlib';

const deflateRawAsync = promisify(deflateRaw) as (
  data: Uint8Array,
  options: ZlibOptions,
) => Promise<Buffer>;

/** zlib's output buffer per call; one chunk's output usually fits, saving round trips. */
const OUTPUT_PIECE_BYTES = 512 * 1024;

/** The largest distance a deflate match may reach back. */
const WINDOW_BYTES = 32 * 1024;

/** Settings of a {@link ParallelGzip}. The first four change the output; the rest do not. */
export interface ParallelGzipOptions {
  level: number;
  memLevel: number;
  strategy: number;
  /** Bytes of input per independently compressed chunk. */
  chunkBytes: number;
  /** Chunks compressed at once; more only costs memory (about 2 × chunkBytes each). */
  inFlight: number;
  /** Receives the compressed bytes in order; the writer waits for it before going on. */
  output: (bytes: Buffer) => Promise<void>;
}

/** A gzip header with no name, no time and the Unix OS byte. */
function gzipHeader(level: number): Buffer {
  // XFL (RFC 1952, 2.3.1): 2 for the slowest level, 4 for the fastest, else 0. zlib also
  // writes 4 for level 0 and the Huffman-only strategies, which layers never use.
  const xfl = level === 9 ? 2 : level === 1 ? 4 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
}

/**
 * A gzip compressor fed with {@link write} and closed with {@link end}. After a failure every
 * later call rejects with it; {@link abandon} drops whatever is still being compressed.
 */
export class ParallelGzip {
  readonly #opts: ParallelGzipOptions;
  /** Input not yet cut into a chunk. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The end of the previous chunk: the next chunk's dictionary. */
  #tail: Buffer | undefined;
  #crc = 0;
  #size = 0;
  /** Compressions started and not yet handed to `output`, oldest first. */
  readonly #queue: Array<Promise<Buffer>> = [];
  #headerWritten = false;
  #failed: Error | undefined;
  #ended = false;

  constructor(options: ParallelGzipOptions) {
    if (options.chunkBytes < WINDOW_BYTES) {
      throw new RangeError(`chunkBytes must be at least ${WINDOW_BYTES}`);
    }
    this.#opts = { ...options, inFlight: Math.max(1, options.inFlight) };
  }

  /** Uncompressed bytes taken so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Adds input. Compression reads `data` on other threads, later, without copying it: the
   * caller must not change it afterwards.
   */
  async write(data: Buffer): Promise<void> {
    this.#check();
    this.#size += data.length;
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    const { chunkBytes } = this.#opts;
    while (this.#pendingBytes >= chunkBytes) {
      await this.#start(this.#take(chunkBytes), false);
    }
  }

  /** Compresses what is left, writes the trailer and waits for all output. */
  async end(): Promise<void> {
    this.#check();
    this.#ended = true;
    await this.#start(this.#take(this.#pendingBytes), true);
    while (this.#queue.length > 0) await this.#emitOldest();
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.#crc >>> 0, 0);
    trailer.writeUInt32LE(this.#size % 2 ** 32, 4);
    await this.#opts.output(trailer);
  }

  /** Stops: pending compressions finish on their threads, but their output is dropped. */
  abandon(): void {
    this.#failed ??= new Error('gzip output abandoned');
    for (const job of this.#queue.splice(0)) job.catch(() => {});
  }

  #check(): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#ended) throw new Error('write after end');
  }

  /** Removes exactly `bytes` from the front of the pending input. */
  #take(bytes: number): Buffer {
    const parts: Buffer[] = [];
    let need = bytes;
    while (need > 0) {
      const head = this.#pending[0] as Buffer;
      if (head.length <= need) {
        parts.push(head);
        this.#pending.shift();
        need -= head.length;
      } else {
        parts.push(head.subarray(0, need));
        this.#pending[0] = head.subarray(need);
        need = 0;
      }
    }
    this.#pendingBytes -= bytes;
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, bytes);
  }

  async #start(chunk: Buffer, last: boolean): Promise<void> {
    while (this.#queue.length >= this.#opts.inFlight) await this.#emitOldest();
    if (this.#failed !== undefined) throw this.#failed;
    this.#crc = crc32(chunk, this.#crc);
    const options: ZlibOptions = {
      level: this.#opts.level,
      memLevel: this.#opts.memLevel,
      strategy: this.#opts.strategy,
      windowBits: 15,
      finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
      chunkSize: OUTPUT_PIECE_BYTES,
    };
    if (this.#tail) options.dictionary = this.#tail;
    const job = deflateRawAsync(chunk, options);
    // A failure is reported by #emitOldest; until then it must not count as unhandled.
    job.catch(() => {});
    this.#queue.push(job);
    // A copy, so that the dictionary does not keep a whole chunk (or a caller's buffer) alive.
    this.#tail = Buffer.from(
      chunk.length >= WINDOW_BYTES
        ? chunk.subarray(chunk.length - WINDOW_BYTES)
        : Buffer.concat([this.#tail ?? Buffer.alloc(0), chunk]).subarray(-WINDOW_BYTES),
    );
  }

  async #emitOldest(): Promise<void> {
    const job = this.#queue.shift();
    if (!job) return;
    try {
      const bytes = await job;
      if (this.#failed !== undefined) throw this.#failed;
      if (!this.#headerWritten) {
        this.#headerWritten = true;
        await this.#opts.output(gzipHeader(this.#opts.level));
      }
      await this.#opts.output(bytes);
    } catch (err) {
      this.#failed ??= err instanceof Error ? err : new Error(String(err));
      this.abandon();
      throw this.#failed;
    }
  }
}
