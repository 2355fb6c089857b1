/**
 * Checks and converts the option values `plan` and `run` share, so both report bad values the
 * same way (`--mirror must be FROM=TO, got …`).
 */
import { toApkArch } from '../apk/arch.js';
import { ApkgraphError, isApkgraphError } from '../errors.js';

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

/** Commander's collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
