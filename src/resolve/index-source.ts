/**
 * Where the resolver gets APKINDEXes from. An {@link IndexSource} maps a repository and an
 * architecture to the index's packages; the local one here reads `<dir>/<arch>/APKINDEX.tar.gz`
 * from a directory or `file://` URL. The HTTP-backed one (with the shared cache) has the same
 * shape and plugs into every caller unchanged.
 */
import { readApkIndexFile } from '../apk/apkindex-file.js';
import type { Keyring } from '../apk/keys.js';
import type { PackageRecord } from '../apk/types.js';
import { ApkgraphError, throwIfAborted, wrapError } from '../errors.js';
import { fetchSource, indexLocation, isRemote } from '../repo/location.js';
import { buildUniverse, type Repository, type Universe } from './universe.js';

/** Loads the packages of one repository for one architecture. */
export type IndexSource = (
  repository: string,
  arch: string,
  signal?: AbortSignal,
) => Promise<{ packages: PackageRecord[] }>;

/** A repository line as apko and /etc/apk/repositories write it: `[@pin ]URL`. */
export function parseRepositoryLine(line: string): { url: string; pin?: string } {
  const trimmed = line.trim();
  const m = /^@(\S+)\s+(\S+)$/.exec(trimmed);
  if (m) return { pin: m[1], url: m[2] as string };
  if (trimmed === '' || /\s/.test(trimmed)) {
    throw new ApkgraphError('ERR_CONFIG', `bad repository entry "${line}"`, {
      hint: 'write a URL or directory, or "@tag URL" for a pinned repository',
    });
  }
  return { url: trimmed };
}

export interface LocalIndexSourceOptions {
  /** Trusted keys; without them, unsigned or unknown-signer indexes are accepted. */
  keyring?: Keyring;
  allowUnsigned?: boolean;
}

/**
 * Reads indexes from local directories and `file://` URLs. Remote repositories need the
 * repository client; this source says so instead of reaching the network.
 */
export function localIndexSource(options: LocalIndexSourceOptions = {}): IndexSource {
  const memo = new Map<string, Promise<{ packages: PackageRecord[] }>>();
  return (repository, arch, signal) => {
    throwIfAborted(signal);
    const location = indexLocation(repository, arch);
    if (isRemote(location)) {
      return Promise.reject(
        new ApkgraphError(
          'ERR_OFFLINE_MISSING',
          `cannot read ${location} without the repository client`,
          {
            url: location,
            hint:
              'pass a local directory or file:// URL with --repository, ' +
              'or use a command that fetches indexes',
          },
        ),
      );
    }
    let loading = memo.get(location);
    if (!loading) {
      const source = fetchSource(location);
      const path = source.kind === 'file' ? source.path : location;
      loading = readApkIndexFile(path, {
        ...(options.keyring ? { keyring: options.keyring } : {}),
        allowUnsigned: options.allowUnsigned ?? options.keyring === undefined,
      }).then(
        (index) => ({ packages: index.packages }),
        (err: unknown) => {
          memo.delete(location);
          throw wrapError(`reading the index of ${repository} for ${arch}`, err, 'ERR_IO');
        },
      );
      memo.set(location, loading);
    }
    return loading;
  };
}

/** Loads every repository of one architecture (in order) and builds its universe. */
export async function loadUniverse(
  repositories: readonly string[],
  arch: string,
  source: IndexSource,
  signal?: AbortSignal,
): Promise<Universe> {
  const repos: Repository[] = [];
  for (const line of repositories) {
    const { url, pin } = parseRepositoryLine(line);
    const { packages } = await source(url, arch, signal);
    repos.push({ url, packages, ...(pin === undefined ? {} : { pin }) });
  }
  return buildUniverse(repos, { arch });
}

/** The subset of the repository client that an index source needs. */
export interface IndexLoader {
  loadIndex(
    repo: string,
    arch: string,
    options: { keyring?: Keyring; allowUnsigned?: boolean; signal?: AbortSignal },
  ): Promise<{ index: { packages: PackageRecord[] } }>;
}

/**
 * An index source over the repository client: HTTP(S) with the shared cache and mirrors, and
 * local directories as well.
 */
export function clientIndexSource(
  client: IndexLoader,
  options: LocalIndexSourceOptions = {},
): IndexSource {
  return async (repository, arch, signal) => {
    const loaded = await client.loadIndex(repository, arch, {
      ...(options.keyring ? { keyring: options.keyring } : {}),
      allowUnsigned: options.allowUnsigned ?? options.keyring === undefined,
      ...(signal ? { signal } : {}),
    });
    return { packages: loaded.index.packages };
  };
}
