/**
 * apko's lock file, JSON v1 (`apko lock`): writing it from an {@link ImageLock} and reading it
 * back.
 *
 * Field names and encodings follow the files apko and rules_apko produce: repositories are
 * named `host/path/<arch>` with the index URL beside them, each package carries its `.apk` URL
 * and, when the APK has been seen, the byte range and checksum of its signature, control and
 * data sections (`sha1-<b64>`, `sha1-<b64>`, `sha256-<b64>`) plus the index checksum `Q1…`.
 */
import { createHash } from 'node:crypto';
import { ApkgraphError } from '../errors.js';
import { indexLocation, packageLocation } from '../repo/location.js';
import type { PackageRecord } from '../apk/types.js';
import { parseRepositoryLine } from '../resolve/index-source.js';
import type { ImageLock } from './lock-image.js';

export interface LockRange {
  range: string;
  checksum: string;
}

export interface LockPackage {
  name: string;
  url: string;
  version: string;
  architecture: string;
  signature?: LockRange;
  control?: LockRange;
  data?: LockRange;
  checksum?: string;
}

export interface LockRepository {
  name: string;
  url: string;
  architecture: string;
}

export interface LockKey {
  name: string;
  url: string;
  content?: string;
}

/** apko lock JSON v1. */
export interface ApkoLock {
  version: 'v1';
  config?: { name: string; checksum: string };
  contents: {
    keyring: LockKey[];
    build_repositories?: LockRepository[];
    runtime_repositories?: LockRepository[];
    repositories: LockRepository[];
    packages: LockPackage[];
  };
}

/** Sizes and digests of an APK's sections, from the cache once the file has been fetched. */
export interface ApkSections {
  /** The signature gzip member; absent for an unsigned package. */
  signature?: { length: number; checksum: string };
  control: { length: number; checksum: string };
  data: { length: number; checksum: string };
}

/** A locked package and the repository (original URL, never a mirror) it comes from. */
export interface LockedRecord {
  record: PackageRecord;
  repository: string;
}

/** One architecture of a lock: its packages in install order. */
export interface LockArch {
  arch: string;
  packages: readonly LockedRecord[];
}

export interface ToApkoLockInput {
  /** Every architecture, in lock order (an {@link ImageLock} converts with {@link archsOf}). */
  archs: readonly LockArch[];
  /** The config's path as given, recorded as `config.name`. */
  configName: string;
  /** What the config checksum covers: the merged config and every knob that changed it. */
  configInput: unknown;
  repositories: readonly string[];
  buildRepositories?: readonly string[];
  runtimeRepositories?: readonly string[];
  keyring: ReadonlyArray<{ url: string; content?: string }>;
  /** Section sizes for a package, when known; without them the ranges are left out. */
  sectionsFor?: (pkg: LockedRecord, arch: string) => ApkSections | undefined;
}

/** The per-architecture package lists of an {@link ImageLock}. */
export function archsOf(lock: ImageLock): LockArch[] {
  return lock.archs.map((arch) => ({
    arch,
    packages: lock.resolutions.get(arch)?.packages ?? [],
  }));
}

/** `sha256-<base64>` of a canonical JSON encoding (keys sorted). */
export function configChecksum(value: unknown): string {
  const digest = createHash('sha256').update(canonicalJson(value)).digest('base64');
  return `sha256-${digest}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `https://host/path` → `host/path` (how apko names repositories and keys in a lock). */
function withoutScheme(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/+$/, '');
}

function repositoryEntries(lines: readonly string[], archs: readonly string[]): LockRepository[] {
  const out: LockRepository[] = [];
  for (const line of lines) {
    const { url } = parseRepositoryLine(line);
    for (const arch of archs) {
      out.push({
        name: `${withoutScheme(url)}/${arch}`,
        url: indexLocation(url, arch),
        architecture: arch,
      });
    }
  }
  return out;
}

function ranges(sections: ApkSections): Pick<LockPackage, 'signature' | 'control' | 'data'> {
  const sig = sections.signature?.length ?? 0;
  const ctl = sections.control.length;
  const span = (start: number, length: number): string => `bytes=${start}-${start + length - 1}`;
  return {
    signature: sections.signature
      ? { range: span(0, sig), checksum: sections.signature.checksum }
      : { range: '', checksum: '' },
    control: { range: span(sig, ctl), checksum: sections.control.checksum },
    data: { range: span(sig + ctl, sections.data.length), checksum: sections.data.checksum },
  };
}

/** Builds the lock JSON object; `JSON.stringify(x, null, 2)` gives apko's layout. */
export function toApkoLockJson(input: ToApkoLockInput): ApkoLock {
  const archs = input.archs.map((a) => a.arch);
  const packages: LockPackage[] = [];
  for (const { arch, packages: locked } of input.archs) {
    for (const p of locked) {
      const { name, version, checksum } = p.record;
      const sections = input.sectionsFor?.(p, arch);
      packages.push({
        name,
        url: packageLocation(p.repository, arch, name, version),
        version,
        architecture: arch,
        ...(sections ? ranges(sections) : {}),
        ...(checksum ? { checksum } : {}),
      });
    }
  }
  return {
    version: 'v1',
    config: { name: input.configName, checksum: configChecksum(input.configInput) },
    contents: {
      keyring: input.keyring.map((k) => ({
        name: withoutScheme(k.url),
        url: k.url,
        ...(k.content === undefined ? {} : { content: k.content }),
      })),
      build_repositories: repositoryEntries(input.buildRepositories ?? [], archs),
      runtime_repositories: repositoryEntries(input.runtimeRepositories ?? [], archs),
      repositories: repositoryEntries(input.repositories, archs),
      packages,
    },
  };
}

function lockError(source: string, why: string): ApkgraphError {
  return new ApkgraphError('ERR_LOCK', `${source} is not an apko lock file: ${why}`, {
    path: source,
    hint: 'regenerate it with `apkgraph lock` or `apko lock`',
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringField(
  o: Record<string, unknown>,
  key: string,
  where: string,
  source: string,
): string {
  const v = o[key];
  if (typeof v !== 'string') throw lockError(source, `${where}.${key} must be a string`);
  return v;
}

/** Parses and checks lock JSON text (v1, including files written before `config` existed). */
export function readApkoLock(text: string, source = 'apko.lock.json'): ApkoLock {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw lockError(source, (err as Error).message);
  }
  if (!isObject(raw)) throw lockError(source, 'the top level must be an object');
  if (raw.version !== 'v1')
    throw lockError(source, `unsupported version ${JSON.stringify(raw.version)}`);
  const contents = raw.contents;
  if (!isObject(contents)) throw lockError(source, 'contents is missing');
  const list = (key: string): Record<string, unknown>[] => {
    const v = contents[key] ?? [];
    if (!Array.isArray(v) || !v.every(isObject))
      throw lockError(source, `contents.${key} must be a list of objects`);
    return v;
  };
  const repo = (r: Record<string, unknown>, i: number, key: string): LockRepository => ({
    name: stringField(r, 'name', `contents.${key}[${i}]`, source),
    url: stringField(r, 'url', `contents.${key}[${i}]`, source),
    architecture: stringField(r, 'architecture', `contents.${key}[${i}]`, source),
  });
  const range = (v: unknown): LockRange | undefined =>
    isObject(v) && typeof v.range === 'string' && typeof v.checksum === 'string'
      ? { range: v.range, checksum: v.checksum }
      : undefined;
  const config = raw.config;
  return {
    version: 'v1',
    ...(isObject(config)
      ? {
          config: {
            name: stringField(config, 'name', 'config', source),
            checksum: stringField(config, 'checksum', 'config', source),
          },
        }
      : {}),
    contents: {
      keyring: list('keyring').map((k, i) => ({
        name: stringField(k, 'name', `contents.keyring[${i}]`, source),
        url: stringField(k, 'url', `contents.keyring[${i}]`, source),
        ...(typeof k.content === 'string' ? { content: k.content } : {}),
      })),
      build_repositories: list('build_repositories').map((r, i) =>
        repo(r, i, 'build_repositories'),
      ),
      runtime_repositories: list('runtime_repositories').map((r, i) =>
        repo(r, i, 'runtime_repositories'),
      ),
      repositories: list('repositories').map((r, i) => repo(r, i, 'repositories')),
      packages: list('packages').map((p, i) => {
        const where = `contents.packages[${i}]`;
        const signature = range(p.signature);
        const control = range(p.control);
        const data = range(p.data);
        return {
          name: stringField(p, 'name', where, source),
          url: stringField(p, 'url', where, source),
          version: stringField(p, 'version', where, source),
          architecture: stringField(p, 'architecture', where, source),
          ...(signature ? { signature } : {}),
          ...(control ? { control } : {}),
          ...(data ? { data } : {}),
          ...(typeof p.checksum === 'string' ? { checksum: p.checksum } : {}),
        };
      }),
    },
  };
}

/** The locked `name → version` of each architecture (apko's `Arch2LockedPackages`). */
export function lockedVersionsByArch(lock: ApkoLock): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const p of lock.contents.packages) {
    let m = out.get(p.architecture);
    if (!m) {
      m = new Map();
      out.set(p.architecture, m);
    }
    m.set(p.name, p.version);
  }
  return out;
}
