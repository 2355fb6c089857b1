/**
 * Where repository files live, and where they are fetched from.
 *
 * A repository is named by its ORIGINAL location (an `https://`, `http://` or `file://` URL, or a
 * local path). That name is what locks record, what /etc/apk/repositories lists and what the
 * cache directory is called. A `mirrors` map only changes where bytes are fetched from, so a
 * build that uses a local mirror produces the same locks and cache as one that does not.
 */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApkgraphError } from '../errors.js';

/** Repository URL prefix → the prefix to fetch from instead. */
export type MirrorMap = Readonly<Record<string, string>>;

/** Where one file is read from: a URL to fetch or a local file. */
export type FetchSource = { kind: 'http'; url: string } | { kind: 'file'; path: string };

/** A repository name without trailing slashes, as it appears in cache paths and locks. */
export function normalizeRepository(repo: string): string {
  const trimmed = repo.trim().replace(/\/+$/, '');
  if (trimmed === '') {
    throw new ApkgraphError('ERR_CONFIG', 'empty repository location', {
      hint: 'give a repository as an https:// or file:// URL or a directory path',
    });
  }
  return trimmed;
}

/** True for `http://` and `https://` repositories, the only ones apkgraph caches. */
export function isRemote(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** `<repo>/<arch>/APKINDEX.tar.gz`. */
export function indexLocation(repo: string, arch: string): string {
  return `${normalizeRepository(repo)}/${arch}/APKINDEX.tar.gz`;
}

/** `<repo>/<arch>/<name>-<version>.apk`. */
export function packageLocation(repo: string, arch: string, name: string, version: string): string {
  return `${normalizeRepository(repo)}/${arch}/${name}-${version}.apk`;
}

/**
 * Applies the longest matching mirror prefix. The prefix must end at a path boundary, so
 * `https://a/os` does not capture `https://a/os2`.
 */
export function applyMirrors(location: string, mirrors: MirrorMap | undefined): string {
  if (!mirrors) return location;
  let best: [string, string] | undefined;
  for (const [from, to] of Object.entries(mirrors)) {
    const prefix = from.replace(/\/+$/, '');
    const boundary = location.length === prefix.length || location[prefix.length] === '/';
    if (location.startsWith(prefix) && boundary && (!best || prefix.length > best[0].length)) {
      best = [prefix, to.replace(/\/+$/, '')];
    }
  }
  return best ? best[1] + location.slice(best[0].length) : location;
}

/** Decides whether `location` (after mirroring) is fetched over HTTP or read from disk. */
export function fetchSource(location: string, mirrors?: MirrorMap): FetchSource {
  const target = applyMirrors(location, mirrors);
  if (isRemote(target)) return { kind: 'http', url: target };
  if (/^file:/i.test(target)) return { kind: 'file', path: fileURLToPath(target) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    throw new ApkgraphError('ERR_CONFIG', `unsupported repository scheme in "${target}"`, {
      url: target,
      hint: 'use an https://, http:// or file:// URL, or a local path',
    });
  }
  return { kind: 'file', path: isAbsolute(target) ? target : resolve(target) };
}

const UNRESERVED = /[A-Za-z0-9\-_.~]/;

/**
 * Escapes a string the way Go's `url.QueryEscape` does, which is how go-apk names a
 * repository's cache directory: every byte except `A-Z a-z 0-9 - _ . ~` becomes `%XX`
 * (upper-case hex) and a space becomes `+`. `encodeURIComponent` differs: it keeps `!'()*`.
 */
export function queryEscape(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && UNRESERVED.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * RFC 4648 base32 with `=` padding (Go's `base32.StdEncoding`). go-apk names cached index
 * files by the base32 of the ETag header because ETags hold quotes and slashes and may differ
 * only in case, which some file systems would fold together.
 */
export function base32(input: string | Uint8Array): string {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}
