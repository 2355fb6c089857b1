/**
 * A scratch file that holds the bodies of installed files until the layer is written.
 *
 * The layer lists entries in sorted path order, but packages arrive in install order and a later
 * one may override an earlier file. Rather than decompress every package twice (once to decide
 * ownership, once to copy bodies in sorted order), each body is appended here as it streams out
 * of its package, and the layer writer reads back only the winners by offset. That costs one
 * sequential write and one read of the installed bytes, which the page cache mostly absorbs,
 * and keeps memory flat whatever the image size.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { tempPathFor } from '../util/atomic.js';
import { GuardedWriter } from '../util/guarded-writer.js';

const FLUSH_BYTES = 1 << 20;

/** An append-only body store backed by one temporary file. */
export class BodySpool {
  readonly path: string;
  /** Guarded: the file can fail between two appends, when no call of ours is waiting on it. */
  readonly #out: GuardedWriter;
  #size = 0;
  #reader: FileHandle | undefined;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  private constructor(path: string) {
    this.path = path;
    this.#out = new GuardedWriter(createWriteStream(path, { flags: 'wx' }));
  }

  /** Creates a spool file with a temporary name inside `dir` (created if missing). */
  static async create(dir: string): Promise<BodySpool> {
    await mkdir(dir, { recursive: true });
    const spool = new BodySpool(tempPathFor(join(dir, 'spool')));
    await once(spool.#out.stream, 'open');
    return spool;
  }

  /** The offset the next appended byte gets. */
  get offset(): number {
    return this.#size;
  }

  /** Appends bytes, waiting when the disk is behind. */
  async append(chunk: Buffer): Promise<void> {
    const failed = this.#out.failed;
    if (failed) throw failed;
    this.#size += chunk.length;
    // Small files are the common case; one write per file would be one syscall per file.
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes >= FLUSH_BYTES) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const data = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.#out.write(data);
  }

  /** Finishes writing; reads are allowed afterwards. */
  async seal(): Promise<void> {
    if (this.#reader) return;
    await this.#flush();
    await this.#out.end();
    this.#reader = await open(this.path, 'r');
  }

  /** Reads `size` bytes at `offset` in chunks of at most `chunkBytes`, in order. */
  async *read(offset: number, size: number, chunkBytes = 1 << 20): AsyncGenerator<Buffer> {
    const reader = this.#reader;
    if (!reader) throw new Error('spool read before seal');
    let done = 0;
    while (done < size) {
      const want = Math.min(chunkBytes, size - done);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await reader.read(buf, 0, want, offset + done);
      if (bytesRead === 0) throw new Error(`spool ended at ${offset + done}`);
      done += bytesRead;
      yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
    }
  }

  /** Reads a small body whole. */
  async readAll(offset: number, size: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of this.read(offset, size)) parts.push(part);
    return Buffer.concat(parts);
  }

  /** Closes and deletes the file. Safe to call more than once. */
  async dispose(): Promise<void> {
    this.#out.stream.destroy();
    await this.#reader?.close().catch(() => {});
    this.#reader = undefined;
    await rm(this.path, { force: true });
  }
}
