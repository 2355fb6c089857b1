/**
 * Path safety for tar entries. A package's data tar names paths relative to the image root; a
 * name that is absolute or climbs with `..` would write outside it, so every reader of package
 * data goes through {@link normalizeEntryPath}.
 */
import { ApkgraphError } from '../errors.js';

/** The error for a path that would leave the image root; `pkg` names the package. */
export function unsafePathError(path: string, why: string, pkg?: string): ApkgraphError {
  return new ApkgraphError('ERR_UNSAFE_PATH', `unsafe path "${path}": ${why}`, {
    ...(pkg === undefined ? {} : { package: pkg }),
    hint:
      'the package tries to write outside the image root; ' +
      'it is broken or hostile, do not install it',
  });
}

/**
 * Normalises a tar entry name into a root-relative path: strips `./` and trailing slashes,
 * refuses absolute paths and `..` components. Returns '' for the root itself.
 */
export function normalizeEntryPath(name: string, pkg?: string): string {
  if (name.startsWith('/')) throw unsafePathError(name, 'absolute path', pkg);
  if (name.includes('\0')) throw unsafePathError(name, 'NUL byte in name', pkg);
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') throw unsafePathError(name, '".." component', pkg);
    parts.push(part);
  }
  return parts.join('/');
}
