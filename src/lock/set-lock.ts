/**
 * apko lock files for the images of a module set: one per module variant, written by
 * `apkgraph lock SET` (`<out>/<module>/<variant>.apko.lock.json`) and by `apkgraph run` (at the
 * root of each OCI layout, `<out>/<module>/<variant>/apko.lock.json`).
 *
 * Both commands build the file with {@link variantLockJson} from a config node's per-arch lock
 * (latest-dev already extended from latest's lock by the scheduler), so a set locked on its own
 * and the same set run give the same file once the packages are cached.
 *
 * Paths are recorded relative to the set folder when they lie inside it (the config name,
 * local keys), so a lock does not change with where the set is checked out.
 */
import { basename, join, relative, sep } from 'node:path';
import type { EntryFiles } from '../cache/entry-check.js';
import type { Variant } from '../graph/build-graph.js';
import { effectiveConfig, type ConfigOverrides } from '../moduleset/effective.js';
import type { ModuleDef, ModuleSet } from '../moduleset/types.js';
import { isRemote } from '../repo/location.js';
import { writeFileAtomic } from '../util/atomic.js';
import { toApkoLockJson, type ApkoLock, type ApkSections, type LockArch } from './apko-lock.js';
import { sectionKey, sectionsOfEntries, type SectionsMemo } from './cache-sections.js';

/** The file name of a variant's lock written by `lock SET`: `<variant>.apko.lock.json`. */
export const LOCK_SUFFIX = '.apko.lock.json';

/** The name of the lock `run` writes at the root of each OCI layout. */
export const IMAGE_LOCK_NAME = 'apko.lock.json';

/** `<root>/<module>/<variant>.apko.lock.json`, where `lock SET` writes a variant's lock. */
export function variantLockPath(root: string, module: string, variant: Variant): string {
  return join(root, module, `${variant}${LOCK_SUFFIX}`);
}

/**
 * `<layout>/apko.lock.json`: the lock of the image in an OCI layout. The image-layout spec
 * names only `oci-layout`, `index.json` and `blobs/`; skopeo, umoci (including `umoci gc`) and
 * oci-image-tool ignore other files at the root, and the lock travels with its image.
 */
export function imageLockPath(layoutDir: string): string {
  return join(layoutDir, IMAGE_LOCK_NAME);
}

/** Inputs of {@link variantLockJson}. */
export interface VariantLockInput {
  set: ModuleSet;
  module: ModuleDef;
  variant: Variant;
  overrides?: ConfigOverrides;
  /** The config node's lock, per arch in install order. */
  archs: readonly LockArch[];
  /** The keys the keyring entries name, as read (to inline their PEM like apko does). */
  keys: ReadonlyArray<{ name: string; pem: string }>;
  /** Sections of cached packages by {@link sectionKey}; packages without any get no ranges. */
  sections?: ReadonlyMap<string, ApkSections>;
}

function setRelative(set: ModuleSet, path: string): string {
  if (isRemote(path) || path.startsWith('file:')) return path;
  const rel = relative(set.dir, path);
  return rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep)
    ? path
    : rel.split(sep).join('/');
}

/** The lock JSON of one module variant. */
export function variantLockJson(input: VariantLockInput): ApkoLock {
  const { set, module, variant } = input;
  const own = effectiveConfig(set, module, variant, input.overrides);
  const dedupe = (xs: Iterable<string>): string[] => [...new Set(xs)];
  const byName = new Map(input.keys.map((k) => [k.name, k.pem]));
  const keyring = own.keyring.map((entry) => {
    const url = setRelative(set, entry);
    const pem = byName.get(basename(entry));
    return pem === undefined ? { url } : { url, content: pem };
  });
  const sections = input.sections;
  return toApkoLockJson({
    archs: input.archs,
    configName: setRelative(set, module.apkoPath),
    configInput: {
      module: module.name,
      variant,
      apko: module.apko.raw,
      archs: own.archs,
      world: own.world,
      repositories: own.repositories,
      runtimeRepositories: own.runtimeRepositories,
      keyring: keyring.map((k) => k.url),
    },
    repositories: dedupe([...set.settings.repositories, ...module.apko.repositories]),
    buildRepositories: module.apko.buildRepositories,
    runtimeRepositories: module.apko.runtimeRepositories,
    keyring,
    ...(sections
      ? { sectionsFor: (p, arch) => sections.get(sectionKey(arch, p.record.name)) }
      : {}),
  });
}

/** The inputs of {@link variantLockText}: cache entries instead of computed sections. */
export type VariantLockEntries = Omit<VariantLockInput, 'sections'> & {
  /** Cache entries of the locked packages by {@link sectionKey}; others get no ranges. */
  entries: ReadonlyMap<string, EntryFiles>;
};

/** The lock file text of one variant (JSON, two-space indent, final newline, like apko). */
export async function variantLockText(
  input: VariantLockEntries,
  options: { signal?: AbortSignal; memo?: SectionsMemo } = {},
): Promise<string> {
  const sections = await sectionsOfEntries(input.entries, options);
  return `${JSON.stringify(variantLockJson({ ...input, sections }), null, 2)}\n`;
}

/** Writes one variant's lock to `path`, atomically. */
export async function writeVariantLock(
  path: string,
  input: VariantLockEntries,
  options: { signal?: AbortSignal; memo?: SectionsMemo } = {},
): Promise<void> {
  await writeFileAtomic(path, await variantLockText(input, options));
}
