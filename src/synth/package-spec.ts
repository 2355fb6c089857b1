/**
 * What goes into one synthetic package: its .PKGINFO entries, copied from the source record,
 * and a file tree whose compressed size is about the record's size times the scale.
 */
import type { PackageRecord } from '../apk/types.js';

/** Fixed build time, so a mirror is the same whenever it is generated. */
export const SYNTH_BUILD_TIME = 1_700_000_000;

/** gzip level of synthetic packages: the fastest, and the payload mix is tuned for it. */
export const SYNTH_GZIP_LEVEL = 1;

/** Largest payload file; big packages get several, as real ones hold many files. */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** gzip shrinks the payload about this much (measured on {@link PayloadGenerator} output). */
export const EXPECTED_RATIO = 2.5;

/**
 * What a package costs besides its payload: the signature and control members and the tar
 * headers of the data member, compressed. Subtracted from the target so small packages land
 * near their size too.
 */
export const OVERHEAD_BYTES = 1_400;

/**
 * The .PKGINFO entries of a synthetic package, in apk's order; sizes and datahash are added by
 * the writer.
 */
export function pkginfoFor(r: PackageRecord): Array<[string, string]> {
  const e: Array<[string, string]> = [
    ['pkgname', r.name],
    ['pkgver', r.version],
    ['pkgdesc', r.description ?? `Synthetic package ${r.name}`],
  ];
  if (r.url) e.push(['url', r.url]);
  e.push(['builddate', String(SYNTH_BUILD_TIME)]);
  e.push(['arch', r.arch]);
  if (r.origin) e.push(['origin', r.origin]);
  if (r.commit) e.push(['commit', r.commit]);
  if (r.maintainer) e.push(['maintainer', r.maintainer]);
  e.push(['license', r.license ?? 'unknown']);
  for (const d of r.replaces) e.push(['replaces', d]);
  if (r.providerPriority !== undefined) e.push(['provider_priority', String(r.providerPriority)]);
  for (const d of r.depends) e.push(['depend', d]);
  for (const p of r.provides) e.push(['provides', p]);
  if (r.installIf.length > 0) e.push(['install_if', r.installIf.join(' ')]);
  return e;
}

/** Uncompressed payload bytes for a record at `scale`. */
export function payloadBytesFor(r: PackageRecord, scale: number): number {
  const target = Math.round((r.size ?? 0) * scale) - OVERHEAD_BYTES;
  return target > 0 ? Math.round(target * EXPECTED_RATIO) : 0;
}

/** Splits `total` payload bytes into file sizes of at most {@link MAX_FILE_BYTES}. */
export function fileSizes(total: number): number[] {
  const sizes: number[] = [];
  for (let left = total; left > 0; left -= MAX_FILE_BYTES)
    sizes.push(Math.min(left, MAX_FILE_BYTES));
  return sizes;
}

/** The seed of a package's content: the same name and version always give the same bytes. */
export function seedOf(r: Pick<PackageRecord, 'name' | 'version' | 'arch'>): string {
  return `${r.name}\0${r.version}\0${r.arch}`;
}
