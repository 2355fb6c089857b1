/**
 * The HTTP side of the repository client: HEAD and GET with retries, resumable bodies, timeouts,
 * a bounded number of connections per host and size limits.
 *
 * A body is handed out as an async iterable that survives a broken connection: when the socket
 * dies mid-body, the iterable reconnects with `Range: bytes=<received>-` and `If-Range: <etag>`
 * and carries on, so the consumer (a hashing splitter) sees one uninterrupted byte stream. A
 * server that ignores Range gets the already-received prefix skipped; one whose file changed
 * (If-Range mismatch) makes the read fail, because splicing two versions would be corrupt.
 */
import { Agent, request, type Dispatcher } from 'undici';
import { AbortError, ApkgraphError, throwIfAborted, type ErrorCode } from '../errors.js';
import { nullLogger, type Logger } from '../log/logger.js';
import {
  backoffDelayMs,
  isRetryableError,
  isRetryableStatus,
  isTimeoutError,
  parseRetryAfter,
  pause,
} from './retry.js';

export interface HttpClientOptions {
  /** Concurrent connections per origin. Default 8. */
  maxConnectionsPerHost?: number;
  /** Longest wait for response headers, and for each piece of a body. Default 30 s. */
  requestTimeoutMs?: number;
  /** Retries after the first attempt. Default 4. */
  retries?: number;
  /** First retry pause before jitter. Default 250 ms. */
  backoffBaseMs?: number;
  /** Longest retry pause, also the cap on Retry-After. Default 10 s. */
  backoffMaxMs?: number;
  /** Largest body accepted when a call gives no limit of its own. Default 1 GiB. */
  maxBodyBytes?: number;
  logger?: Logger;
  /** Randomness for jitter; replaceable for tests. */
  random?: () => number;
  /** Use this dispatcher instead of creating an Agent (tests, shared pools). */
  dispatcher?: Dispatcher;
}

/** A byte limit together with the option that raises it, for the error message. */
export interface SizeLimit {
  bytes: number;
  /** The option that raises it, e.g. `the maxIndexBytes option of the repository client`. */
  option: string;
}

export interface HeadResult {
  /** False when the server does not support HEAD (405/501); callers fall back to GET. */
  supported: boolean;
  etag?: string;
  size?: number;
}

export interface OpenedBody {
  etag?: string;
  /** The full size, when the server said. */
  size?: number;
  body: AsyncIterable<Buffer>;
}

export interface RequestOptions {
  signal?: AbortSignal;
  limit?: SizeLimit;
}

interface Attempts {
  used: number;
}

const DEFAULTS = {
  maxConnectionsPerHost: 8,
  requestTimeoutMs: 30_000,
  retries: 4,
  backoffBaseMs: 250,
  backoffMaxMs: 10_000,
  maxBodyBytes: 1024 ** 3,
};

/** An HTTP client with apkgraph's retry, resume and limit rules. Close it when done. */
export class HttpClient {
  readonly #opts: typeof DEFAULTS;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;

  constructor(options: HttpClientOptions = {}) {
    this.#opts = {
      maxConnectionsPerHost: options.maxConnectionsPerHost ?? DEFAULTS.maxConnectionsPerHost,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      retries: options.retries ?? DEFAULTS.retries,
      backoffBaseMs: options.backoffBaseMs ?? DEFAULTS.backoffBaseMs,
      backoffMaxMs: options.backoffMaxMs ?? DEFAULTS.backoffMaxMs,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
    };
    for (const [k, v] of Object.entries(this.#opts)) {
      if (!(Number.isInteger(v) && v >= 0) || (k === 'maxConnectionsPerHost' && v < 1)) {
        throw new RangeError(`HttpClient option ${k} must be a non-negative integer, got ${v}`);
      }
    }
    this.#logger = options.logger ?? nullLogger;
    this.#random = options.random ?? Math.random;
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({
        connections: this.#opts.maxConnectionsPerHost,
        headersTimeout: this.#opts.requestTimeoutMs,
        bodyTimeout: this.#opts.requestTimeoutMs,
      });
  }

  /** HEAD with retries. A 404 is ERR_NOT_FOUND. */
  async head(url: string, options: RequestOptions = {}): Promise<HeadResult> {
    const attempts: Attempts = { used: 0 };
    const res = await this.#send(url, 'HEAD', {}, attempts, options.signal);
    if (res.statusCode === 405 || res.statusCode === 501) return { supported: false };
    const etag = header(res, 'etag');
    const size = Number(header(res, 'content-length'));
    return {
      supported: true,
      ...(etag === undefined ? {} : { etag }),
      ...(Number.isFinite(size) && header(res, 'content-length') ? { size } : {}),
    };
  }

  /** GET whose body resumes after broken connections. The caller must consume or abort it. */
  async open(url: string, options: RequestOptions = {}): Promise<OpenedBody> {
    const attempts: Attempts = { used: 0 };
    const limit = options.limit ?? {
      bytes: this.#opts.maxBodyBytes,
      option: 'the maxBodyBytes option of the HTTP client',
    };
    const res = await this.#send(url, 'GET', {}, attempts, options.signal);
    const etag = header(res, 'etag');
    const size = contentLength(res);
    if (size !== undefined && size > limit.bytes) {
      await res.body.dump().catch(() => {});
      throw sizeError(url, limit, size);
    }
    return {
      ...(etag === undefined ? {} : { etag }),
      ...(size === undefined ? {} : { size }),
      body: this.#resumableBody(url, res, etag, size, limit, attempts, options.signal),
    };
  }

  /** GET the whole body into memory (indexes, keys). */
  async getBytes(
    url: string,
    options: RequestOptions = {},
  ): Promise<{ bytes: Buffer; etag?: string }> {
    const opened = await this.open(url, options);
    const chunks: Buffer[] = [];
    for await (const chunk of opened.body) chunks.push(chunk);
    return { bytes: Buffer.concat(chunks), ...(opened.etag ? { etag: opened.etag } : {}) };
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  async *#resumableBody(
    url: string,
    first: Dispatcher.ResponseData,
    etag: string | undefined,
    total: number | undefined,
    limit: SizeLimit,
    attempts: Attempts,
    signal: AbortSignal | undefined,
  ): AsyncGenerator<Buffer> {
    let res = first;
    let received = 0;
    let skip = 0;
    try {
      for (;;) {
        try {
          for await (const raw of res.body) {
            let chunk = raw as Buffer;
            if (skip > 0) {
              const dropped = Math.min(skip, chunk.length);
              skip -= dropped;
              chunk = chunk.subarray(dropped);
              if (chunk.length === 0) continue;
            }
            received += chunk.length;
            if (received > limit.bytes) throw sizeError(url, limit, received);
            yield chunk;
          }
          if (total !== undefined && received < total) {
            throw Object.assign(new Error(`body ended after ${received} of ${total} bytes`), {
              code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
            });
          }
          return;
        } catch (err) {
          res.body.destroy();
          if (signal?.aborted) throw new AbortError(signal.reason);
          if (!isRetryableError(err) || attempts.used >= this.#opts.retries) {
            throw this.#failure(url, err, undefined);
          }
          await this.#backoff(url, attempts, err, undefined, signal);
          this.#logger.debug('resuming download', { url, from: received });
          const range = { range: `bytes=${received}-`, ...(etag ? { 'if-range': etag } : {}) };
          res = await this.#send(url, 'GET', range, attempts, signal);
          skip = 0;
          if (res.statusCode === 206) {
            const start = /^bytes (\d+)-/.exec(header(res, 'content-range') ?? '')?.[1];
            if (Number(start) !== received) {
              await res.body.dump().catch(() => {});
              throw new ApkgraphError('ERR_HTTP', `resuming ${url}: server sent the wrong range`, {
                url,
                hint:
                  'the server or a proxy mishandles Range requests; ' +
                  'try again or another mirror',
              });
            }
          } else {
            // A full 200 instead of 206: the server ignored Range or the file changed.
            if (etag !== undefined && header(res, 'etag') !== etag) {
              await res.body.dump().catch(() => {});
              throw new ApkgraphError('ERR_HTTP', `${url} changed while it was being downloaded`, {
                url,
                hint: 'the repository was updated mid-download; run again',
              });
            }
            skip = received;
          }
        }
      }
    } finally {
      // Ends the socket's body when the consumer stops early (abort, size error, return).
      if (!res.body.destroyed) res.body.destroy();
    }
  }

  /** One request with retries until a usable status; non-2xx bodies are drained. */
  async #send(
    url: string,
    method: 'GET' | 'HEAD',
    headers: Record<string, string>,
    attempts: Attempts,
    signal: AbortSignal | undefined,
  ): Promise<Dispatcher.ResponseData> {
    for (;;) {
      throwIfAborted(signal);
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method,
          headers,
          dispatcher: this.#dispatcher,
          ...(signal ? { signal } : {}),
          headersTimeout: this.#opts.requestTimeoutMs,
          bodyTimeout: this.#opts.requestTimeoutMs,
        });
      } catch (err) {
        if (signal?.aborted) throw new AbortError(signal.reason);
        if (!isRetryableError(err) || attempts.used >= this.#opts.retries) {
          throw this.#failure(url, err, undefined);
        }
        await this.#backoff(url, attempts, err, undefined, signal);
        continue;
      }
      const status = res.statusCode;
      if (
        (status >= 200 && status < 300) ||
        (method === 'HEAD' && (status === 405 || status === 501))
      ) {
        return res;
      }
      await res.body.dump().catch(() => {});
      if (!isRetryableStatus(status) || attempts.used >= this.#opts.retries) {
        throw this.#failure(url, undefined, status, method);
      }
      const retryAfter = parseRetryAfter(header(res, 'retry-after'));
      await this.#backoff(url, attempts, undefined, status, signal, retryAfter);
    }
  }

  async #backoff(
    url: string,
    attempts: Attempts,
    err: unknown,
    status: number | undefined,
    signal: AbortSignal | undefined,
    retryAfterMs?: number,
  ): Promise<void> {
    const delayMs = backoffDelayMs(
      attempts.used,
      { baseMs: this.#opts.backoffBaseMs, maxMs: this.#opts.backoffMaxMs, random: this.#random },
      retryAfterMs,
    );
    attempts.used++;
    this.#logger.verbose('retrying request', {
      url,
      attempt: attempts.used,
      delayMs: Math.round(delayMs),
      reason: status ?? (err instanceof Error ? err.message : String(err)),
    });
    await pause(delayMs, signal);
  }

  #failure(url: string, err: unknown, status: number | undefined, method = 'GET'): ApkgraphError {
    if (err instanceof ApkgraphError) return err;
    const tries = `after ${this.#opts.retries} retries`;
    if (status !== undefined) {
      const code: ErrorCode = status === 404 || status === 410 ? 'ERR_NOT_FOUND' : 'ERR_HTTP';
      const retried = isRetryableStatus(status) ? ` ${tries}` : '';
      return new ApkgraphError(code, `${method} ${url}: HTTP ${status}${retried}`, {
        url,
        hint:
          code === 'ERR_NOT_FOUND'
            ? 'check the repository URL and arch, or whether the package was removed upstream'
            : 'the server keeps failing; try again later or use a mirror',
      });
    }
    const timeout = isTimeoutError(err);
    const message = err instanceof Error ? err.message : String(err);
    return new ApkgraphError(
      timeout ? 'ERR_TIMEOUT' : 'ERR_NETWORK',
      `${method} ${url}: ${timeout ? 'timed out' : 'connection failed'} (${message})` +
        `${isRetryableError(err) ? ` ${tries}` : ''}`,
      {
        url,
        cause: err,
        hint: timeout
          ? 'the server is slow or stalled; try again later, or allow more time ' +
            '(apkgraph run --timeout SECONDS; the requestTimeoutMs option of the HTTP client)'
          : 'check the network and the repository URL',
      },
    );
  }
}

function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function contentLength(res: Dispatcher.ResponseData): number | undefined {
  const v = header(res, 'content-length');
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

function sizeError(url: string, limit: SizeLimit, size: number): ApkgraphError {
  return new ApkgraphError(
    'ERR_SIZE_LIMIT',
    `${url} is larger than the limit of ${limit.bytes} bytes (${size} bytes or more)`,
    { url, hint: `raise ${limit.option} if this file is expected to be this large` },
  );
}
