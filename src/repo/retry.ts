/**
 * When to retry an HTTP request and how long to wait first.
 *
 * Flaky mirrors fail in a few recognisable ways: refused or reset connections, timeouts, 5xx,
 * and 429 with a Retry-After. Those are worth another try after an exponentially growing,
 * jittered pause (jitter keeps a crowd of workers from retrying in lockstep). Everything else
 * (404, 403, a checksum mismatch) will fail the same way again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortError } from '../errors.js';

/** Error codes from Node and undici that mean "the connection broke, try again". */
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The `code` of an error or of any error in its cause chain. */
export function errorCodeOf(err: unknown): string | undefined {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur instanceof Error; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && (RETRYABLE_CODES.has(code) || code.startsWith('UND_ERR'))) {
      return code;
    }
    cur = cur.cause;
  }
  return undefined;
}

/** True when a thrown error is a broken or timed-out connection. */
export function isRetryableError(err: unknown): boolean {
  const code = errorCodeOf(err);
  return code !== undefined && RETRYABLE_CODES.has(code);
}

export function isTimeoutError(err: unknown): boolean {
  const code = errorCodeOf(err);
  return code !== undefined && TIMEOUT_CODES.has(code);
}

/** True for statuses a server may answer differently next time. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** `Retry-After` in milliseconds (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const when = Date.parse(v);
  return Number.isNaN(when) ? undefined : Math.max(0, when - nowMs);
}

export interface BackoffOptions {
  /** The pause before the first retry, before jitter. */
  baseMs: number;
  /** The longest pause. */
  maxMs: number;
  /** A source of randomness in [0, 1), replaceable for tests. */
  random?: () => number;
}

/**
 * The pause before retry number `attempt` (0-based): `base·2^attempt` capped at `max`, then
 * scaled by a random factor in [0.5, 1). A server's Retry-After is honoured (up to `max`).
 */
export function backoffDelayMs(
  attempt: number,
  options: BackoffOptions,
  retryAfterMs?: number,
): number {
  const exp = Math.min(options.maxMs, options.baseMs * 2 ** attempt);
  const jittered = exp * (0.5 + (options.random ?? Math.random)() * 0.5);
  return retryAfterMs === undefined
    ? jittered
    : Math.min(options.maxMs, Math.max(jittered, retryAfterMs));
}

/** Sleeps, rejecting with an AbortError as soon as `signal` fires. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    if (signal?.aborted) throw new AbortError(signal.reason);
    throw err;
  }
}
