/** Header fixtures shared by the tar codec tests. */
import type { TarHeader } from './tar-encoder.js';

/** A regular-file header with fixed, plausible fields; `extra` overrides any of them. */
export function fileHeader(name: string, extra: Partial<TarHeader> = {}): TarHeader {
  return {
    name,
    type: 'file',
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: 0,
    mtime: 1_700_000_000,
    ...extra,
  };
}
