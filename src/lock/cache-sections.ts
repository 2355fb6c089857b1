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
 * Memos shared by the locks of one run or one set: most packages appear in many images, and
 * each cache entry need only be inspected, and its signature hashed, once.
 */
export interface SectionsMemo {
  /** By package directory and index checksum. */
  entries: Map<string, Promise<EntryFiles | undefined>>;
  /** By entry directory and control hash. */
  sections: Map<string, Promise<ApkSections>>;
}

/** An empty {@link SectionsMemo}. */
export function newSectionsMemo(): SectionsMemo {
  return { entries: new Map(), sections: new Map() };
}

function memoized<T>(memo: Map<string, Promise<T>> | undefined, key: string, fn: () => Promise<T>) {
  if (!memo) return fn();
  let p = memo.get(key);
  if (!p) {
    p = fn();
    // A failure (an unreadable file) is not remembered: the next caller tries again.
    p.catch(() => memo.delete(key));
    memo.set(key, p);
  }
  return p;
}

/**
 * The sections of every package that has an entry in `entries` (keyed by {@link sectionKey}),
 * e.g. what a build node ensured.
 */
export async function sectionsOfEntries(
  entries: ReadonlyMap<string, EntryFiles>,
  options: { signal?: AbortSignal; memo?: SectionsMemo } = {},
): Promise<Map<string, ApkSections>> {
  throwIfAborted(options.signal);
  const memo = options.memo?.sections;
  const pairs = await Promise.all(
    [...entries].map(
      async ([key, entry]) =>
        [
          key,
          await memoized(memo, `${entry.dir}\0${entry.controlSha1}`, () => sectionsOfEntry(entry)),
        ] as const,
    ),
  );
  return new Map(pairs);
}

/**
 * Finds the cache entries of every locked package without downloading or repairing anything.
 * Packages that are missing (or whose entry does not verify) are left out of the result.
 */
export async function lookupCachedEntries(
  layout: CacheLayout,
  archs: readonly LockArch[],
  options: { signal?: AbortSignal; memo?: SectionsMemo } = {},
): Promise<Map<string, EntryFiles>> {
  throwIfAborted(options.signal);
  const lookups = archs.flatMap(({ arch, packages }) =>
    packages.map(async ({ record, repository }) => {
      const ref = {
        repository,
        arch,
        name: record.name,
        version: record.version,
        ...(record.checksum === undefined ? {} : { checksum: record.checksum }),
        ...(record.size === undefined ? {} : { size: record.size }),
      };
      let dir: string;
      try {
        dir = layout.packageDir(ref);
      } catch (err) {
        // A name the cache refuses as a path can have no entry.
        if (err instanceof ApkgraphError) return undefined;
        throw err;
      }
      const entry = await memoized(
        options.memo?.entries,
        `${dir}\0${ref.checksum ?? ''}\0${ref.size ?? ''}`,
        () => inspectComplete(dir, ref),
      );
      return entry ? ([sectionKey(arch, record.name), entry] as const) : undefined;
    }),
  );
  const out = new Map<string, EntryFiles>();
  for (const found of await Promise.all(lookups)) if (found) out.set(found[0], found[1]);
  return out;
}

async function inspectComplete(
  dir: string,
  ref: Parameters<typeof inspectEntry>[1],
): Promise<EntryFiles | undefined> {
  try {
    const state = await inspectEntry(dir, ref);
    return state.state === 'complete' ? state.entry : undefined;
  } catch (err) {
    // A checksum the cache cannot name a file by (not Q1) means no entry can match it.
    if (err instanceof ApkgraphError) return undefined;
    throw err;
  }
}
