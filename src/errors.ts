/**
 * Errors that apkgraph reports to its users.
 *
 * Every failure that a user can cause or fix is an {@link ApkgraphError} with a stable `code`.
 * Codes are API: scripts may match on them, and docs/errors.md lists them. Messages are prose
 * and may change. Each error names the input concerned (file, URL, package or node) and, where
 * there is one, a next step in `hint`.
 *
 * Layers wrap on the way up with {@link wrapError}, adding one short lower-case phrase, so the
 * final message reads as a path: `building image web: installing zlib: fetching …: 503`.
 */

/** Stable error codes. Add new ones here and to docs/errors.md. */
export const ERROR_CODES = [
  'ERR_INTERNAL',
  'ERR_ABORTED',
  'ERR_USAGE',
  'ERR_IO',
  // APK formats and the trust chain
  'ERR_GZIP',
  'ERR_TAR',
  'ERR_INDEX_FORMAT',
  'ERR_INDEX_TRUNCATED',
  'ERR_SIGNATURE',
  'ERR_UNTRUSTED',
  'ERR_APK_FORMAT',
  'ERR_APK_CHECKSUM',
  'ERR_VERSION',
  'ERR_CONSTRAINT',
  'ERR_SIZE_LIMIT',
  'ERR_UNSAFE_PATH',
  // configuration
  'ERR_CONFIG',
  'ERR_CONFIG_YAML',
  'ERR_MODULE_SET',
  'ERR_GRAPH_CYCLE',
  'ERR_UNKNOWN_MODULE',
  // resolution
  'ERR_RESOLVE',
  'ERR_LOCK',
  'ERR_ARCH_MISMATCH',
  // network and cache
  'ERR_HTTP',
  'ERR_NETWORK',
  'ERR_TIMEOUT',
  'ERR_NOT_FOUND',
  'ERR_OFFLINE_MISSING',
  'ERR_CACHE',
  'ERR_CACHE_CORRUPT',
  // building
  'ERR_FILE_CONFLICT',
  'ERR_BUILD',
  'ERR_OCI',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** What an error is about; every field is optional. */
export interface ErrorSubject {
  /** A file or directory on disk. */
  path?: string;
  /** A repository, index or package URL. */
  url?: string;
  /** A package, usually `name-version` or `name=version`. */
  package?: string;
  /** A graph node, e.g. `config:web:latest`. */
  node?: string;
  /** 1-based line and column inside `path`, for configuration errors. */
  line?: number;
  column?: number;
}

export interface ErrorOptions extends ErrorSubject {
  /** The next step for the user, one sentence. */
  hint?: string;
  cause?: unknown;
}

/** The base of every error apkgraph reports on purpose. */
export class ApkgraphError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly subject: ErrorSubject;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    const { hint, cause, ...subject } = options;
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'ApkgraphError';
    this.code = code;
    this.hint = hint;
    this.subject = subject;
  }
}

/** A broken invariant inside apkgraph: a bug, never a user mistake. */
export class InternalError extends ApkgraphError {
  constructor(message: string, options: ErrorOptions = {}) {
    super('ERR_INTERNAL', `internal error: ${message}`, {
      hint: 'this is a bug in apkgraph; please report it with the values above',
      ...options,
    });
    this.name = 'InternalError';
  }
}

/** Work was cancelled; `cause` holds the reason given to the AbortController. */
export class AbortError extends ApkgraphError {
  constructor(reason?: unknown) {
    const why =
      reason instanceof Error
        ? reason.message
        : typeof reason === 'string'
          ? reason
          : reason === undefined
            ? ''
            : JSON.stringify(reason);
    super('ERR_ABORTED', why ? `cancelled: ${why}` : 'cancelled', { cause: reason });
    this.name = 'AbortError';
  }
}

/** Throws an {@link AbortError} if `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(signal.reason);
}

export function isApkgraphError(err: unknown): err is ApkgraphError {
  return err instanceof ApkgraphError;
}

/**
 * Adds a context phrase in front of an error's message, keeping its code, subject and hint.
 * Errors that are not ours become `ERR_INTERNAL` unless `code` says otherwise.
 */
export function wrapError(
  context: string,
  err: unknown,
  code: ErrorCode = 'ERR_INTERNAL',
  extra: ErrorOptions = {},
): ApkgraphError {
  if (err instanceof ApkgraphError) {
    const wrapped = new ApkgraphError(err.code, `${context}: ${err.message}`, {
      ...err.subject,
      ...extra,
      hint: err.hint ?? extra.hint,
      cause: err,
    });
    wrapped.name = err.name;
    return wrapped;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ApkgraphError(code, `${context}: ${message}`, { ...extra, cause: err });
}

/** Structured-clone form of an error, for crossing a worker boundary. */
export interface ErrorData {
  name: string;
  code: ErrorCode;
  message: string;
  hint?: string;
  subject: ErrorSubject;
  stack?: string;
}

/** Turns any thrown value into data that survives `postMessage`. */
export function toErrorData(err: unknown): ErrorData {
  if (err instanceof ApkgraphError) {
    return {
      name: err.name,
      code: err.code,
      message: err.message,
      ...(err.hint === undefined ? {} : { hint: err.hint }),
      subject: err.subject,
      ...(err.stack === undefined ? {} : { stack: err.stack }),
    };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return {
    name: e.name,
    code: 'ERR_INTERNAL',
    message: e.message,
    subject: {},
    ...(e.stack === undefined ? {} : { stack: e.stack }),
  };
}

/** The inverse of {@link toErrorData}. */
export function fromErrorData(data: ErrorData): ApkgraphError {
  const err =
    data.code === 'ERR_ABORTED'
      ? new AbortError(data.message.replace(/^cancelled(: )?/, '') || undefined)
      : new ApkgraphError(data.code, data.message, {
          ...data.subject,
          ...(data.hint === undefined ? {} : { hint: data.hint }),
        });
  err.name = data.name;
  if (data.stack !== undefined) err.stack = data.stack;
  return err;
}
