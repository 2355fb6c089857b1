/**
 * Checks and converts the option values `plan` and `run` share, so both report bad values the
 * same way (`--mirror must be FROM=TO, got …`).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { toApkArch } from '../apk/arch.js';
import { ApkgraphError, isApkgraphError } from '../errors.js';
import { effectiveConfig } from '../moduleset/effective.js';
import type { ModuleSet } from '../moduleset/types.js';

/** `FROM=TO` pairs → a mirrors map. */
export function parseMirrors(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0 || i === v.length - 1) {
      throw new ApkgraphError('ERR_USAGE', `--mirror must be FROM=TO, got "${v}"`, {
        hint: 'e.g. --mirror https://apk.cgr.dev/chainguard=http://127.0.0.1:8080/chainguard',
      });
    }
    out[v.slice(0, i)] = v.slice(i + 1);
  }
  return out;
}

/** Arch names (apk or OCI) → apk names; an unknown one is a usage error. */
export function parseArchs(values: readonly string[]): string[] {
  return [
    ...new Set(
      values
        .flatMap((v) => v.split(','))
        .filter((v) => v !== '')
        .map((v) => {
          try {
            return toApkArch(v);
          } catch (err) {
            if (isApkgraphError(err)) {
              throw new ApkgraphError('ERR_USAGE', `--arch: ${err.message}`, {
                ...(err.hint ? { hint: err.hint } : {}),
              });
            }
            throw err;
          }
        }),
    ),
  ];
}

/** A positive integer option. */
export function parsePositiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new ApkgraphError('ERR_USAGE', `${flag} must be a positive integer, got "${value}"`);
  }
  return n;
}

/** A whole number ≥ 0 (e.g. `--retries`). */
export function parseNonNegativeInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new ApkgraphError(
      'ERR_USAGE',
      `${flag} must be a whole number, 0 or more, got "${value}"`,
    );
  }
  return n;
}

/** Seconds, possibly fractional, greater than 0 (e.g. `--timeout 2.5`); returns milliseconds. */
export function parseSecondsToMs(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    throw new ApkgraphError(
      'ERR_USAGE',
      `${flag} must be a number of seconds above 0, got "${value}"`,
    );
  }
  return Math.max(1, Math.round(n * 1000));
}

/** Commander's collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Every repository URL or path the set names (apkgraph.yaml and each apko.yaml), sorted. */
export function namedRepositories(set: ModuleSet): string[] {
  const names = new Set(set.settings.repositories);
  for (const m of set.modules) {
    for (const r of [
      ...m.apko.repositories,
      ...m.apko.buildRepositories,
      ...m.apko.runtimeRepositories,
    ]) {
      names.add(r);
    }
  }
  return [...names].sort();
}

/** `@tag https://…` → `https://…`: a tag pins packages, the location is what gets fetched. */
const untagged = (repo: string): string => repo.replace(/^@\S+\s+/, '').trim();

/** True when mirroring `from` would redirect `location` (the prefix rule of applyMirrors). */
function mirrorApplies(from: string, location: string): boolean {
  const prefix = from.replace(/\/+$/, '');
  return (
    prefix !== '' &&
    location.startsWith(prefix) &&
    (location.length === prefix.length || location[prefix.length] === '/')
  );
}

/**
 * Refuses a `--mirror FROM=TO` whose FROM redirects none of `repositories` (nor any of `keys`,
 * which mirrors also apply to). Ignoring it would send the run to the real upstream, which is
 * what the flag was given to avoid.
 */
export function checkMirrorsApply(
  mirrors: Readonly<Record<string, string>>,
  repositories: readonly string[],
  keys: readonly string[] = [],
): void {
  const locations = [...repositories.map(untagged), ...keys];
  for (const from of Object.keys(mirrors)) {
    if (locations.some((l) => mirrorApplies(from, l))) continue;
    const listed = repositories.length === 0 ? '(none)' : repositories.map(untagged).join(', ');
    throw new ApkgraphError(
      'ERR_USAGE',
      `--mirror ${from}=… matches no repository; the repositories named are: ${listed}`,
      { hint: 'FROM must be one of these repository URLs, or a prefix of one ending at a "/"' },
    );
  }
}

/** {@link checkMirrorsApply} for the `--mirror` values given to a command on a module set. */
export function checkSetMirrors(
  set: ModuleSet,
  flagMirrors: Readonly<Record<string, string>>,
): void {
  const keys = new Set(set.settings.keyring);
  for (const m of set.modules) for (const k of m.apko.keyring) keys.add(k);
  checkMirrorsApply(flagMirrors, namedRepositories(set), [...keys]);
}

/**
 * Resolves the paths given to a path flag (`--keyring`) and checks each exists, up front: a
 * typo is one usage error, not the same I/O error from every config node that reads it.
 */
export async function existingPaths(flag: string, values: readonly string[]): Promise<string[]> {
  const paths = values.map((v) => resolve(v));
  for (const [i, path] of paths.entries()) {
    if (
      !(await stat(path).then(
        () => true,
        () => false,
      ))
    ) {
      throw new ApkgraphError('ERR_USAGE', `${flag} ${values[i]}: no such file or folder`, {
        path,
        hint: `check the path given to ${flag}`,
      });
    }
  }
  return paths;
}

/**
 * Checks before anything runs that every selected module builds at least one of the `--arch`
 * values, so a wrong value is one usage error rather than a failure per config node.
 */
export function checkArchOverride(
  set: ModuleSet,
  selectedModules: Iterable<string>,
  archs: readonly string[],
): void {
  if (archs.length === 0) return;
  const wanted = new Set(selectedModules);
  for (const m of set.modules) {
    if (wanted.has(m.name)) effectiveConfig(set, m, 'latest', { archs: [...archs] });
  }
}
