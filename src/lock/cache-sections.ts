/**
 * The byte ranges and digests a lock records for each package, taken from the package cache.
 *
 * A cache entry holds an APK split into its sections (signature, control, data), so the sizes
 * are the file sizes and two of the three digests are in the file names: the control file is
 * named by its SHA-1 (the index `C:`) and the data file by its SHA-256 (`.PKGINFO` datahash).
 * Only the signature, a few hundred bytes, is hashed here. Looking an entry up is read-only:
 * a package that is not cached, or whose entry does not verify, simply gets no ranges.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { CacheLayout } from '../cache/layout.js';
import { inspectEntry, type EntryFiles } from '../cache/entry-check.js';
import { ApkgraphError, throwIfAborted, wrapError } from '../errors.js';
import type { ApkSections, LockArch } from './apko-lock.js';

/** Map key of one package of one architecture: `<arch>\0<name>`. */
export function sectionKey(arch: string, name: string): string {
  return `${arch}\0${name}`;
}

const b64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

/** The lock sections of a verified cache entry (hashes the signature file, if any). */
export async function sectionsOfEntry(entry: EntryFiles): Promise<ApkSections> {
  let signature: ApkSections['signature'];
  if (entry.signaturePath !== undefined && entry.sizes.signature > 0) {
    let bytes: Buffer;
    try {
      bytes = await readFile(entry.signaturePath);
    } catch (err) {
      throw wrapError(`reading ${entry.signaturePath}`, err, 'ERR_CACHE', {
        path: entry.signaturePath,
      });
    }
    const digest = createHash('sha1').update(bytes).digest('base64');
    signature = { length: bytes.length, checksum: `sha1-${digest}` };
  }
  return {
    ...(signature ? { signature } : {}),
    control: { length: entry.sizes.control, checksum: `sha1-${b64(entry.controlSha1)}` },
    data: { length: entry.sizes.data, checksum: `sha256-${b64(entry.dataSha256)}` },
  };
}

/**
 * The sections of every package that has an entry in `entries` (keyed by {@link sectionKey}),
 * e.g. what a build node ensured.
 */
export async function sectionsOfEntries(
  entries: ReadonlyMap<string, EntryFiles>,
  options: { signal?: AbortSignal } = {},
): Promise<Map<string, ApkSections>> {
  const out = new Map<string, ApkSections>();
  for (const [key, entry] of entries) {
    throwIfAborted(options.signal);
    out.set(key, await sectionsOfEntry(entry));
  }
  return out;
}

/**
 * Finds the cache entries of every locked package without downloading or repairing anything.
 * Packages that are missing (or whose entry does not verify) are left out of the result.
 */
export async function lookupCachedEntries(
  layout: CacheLayout,
  archs: readonly LockArch[],
  options: { signal?: AbortSignal } = {},
): Promise<Map<string, EntryFiles>> {
  const out = new Map<string, EntryFiles>();
  for (const { arch, packages } of archs) {
    for (const { record, repository } of packages) {
      throwIfAborted(options.signal);
      const ref = {
        repository,
        arch,
        name: record.name,
        version: record.version,
        ...(record.checksum === undefined ? {} : { checksum: record.checksum }),
        ...(record.size === undefined ? {} : { size: record.size }),
      };
      let state;
      try {
        state = await inspectEntry(layout.packageDir(ref), ref);
      } catch (err) {
        // A checksum the cache cannot name a file by (not Q1) means no entry can match it.
        if (err instanceof ApkgraphError) continue;
        throw err;
      }
      if (state.state === 'complete') out.set(sectionKey(arch, record.name), state.entry);
    }
  }
  return out;
}
