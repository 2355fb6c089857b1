/**
 * The package record shared by the index reader, the resolver, the cache and the builders.
 *
 * One record is one stanza of an APKINDEX (or of `lib/apk/db/installed`, which adds file
 * lists). Field letters are apk's own; unknown letters are kept in `extra`, in order, so that
 * a record written back out loses nothing.
 */
export interface PackageRecord {
  /** `P:` package name. */
  name: string;
  /** `V:` version, apk syntax (`1.2.3-r0`). */
  version: string;
  /** `A:` architecture (`x86_64`, `aarch64`, …, or `noarch`). */
  arch: string;
  /** `S:` size of the .apk file in bytes. */
  size?: number;
  /** `I:` installed size in bytes. */
  installedSize?: number;
  /** `T:` one-line description. */
  description?: string;
  /** `U:` project URL. */
  url?: string;
  /** `L:` license expression. */
  license?: string;
  /** `o:` origin (source package) name. */
  origin?: string;
  /** `m:` maintainer. */
  maintainer?: string;
  /** `t:` build time, seconds since the epoch. */
  buildTime?: number;
  /** `c:` source commit. */
  commit?: string;
  /** `D:` dependencies, each an apk constraint (`so:libc.musl-x86_64.so.1`, `!foo`, `bar>=1`). */
  depends: string[];
  /** `p:` provides (`cmd:sh=1.37.0-r19`, `so:libz.so.1=1.3.1`, virtual names). */
  provides: string[];
  /** `i:` install_if triggers. */
  installIf: string[];
  /** `k:` provider priority. */
  providerPriority?: number;
  /** `C:` checksum as written: `Q1` + base64 SHA-1 of the control gzip stream. */
  checksum?: string;
  /** `r:` replaces (from .PKGINFO and the installed db; absent from indexes). */
  replaces: string[];
  /** Fields with letters apkgraph does not interpret, kept in file order. */
  extra: Array<[letter: string, value: string]>;
}

/** An empty record with the list fields set, for builders. */
export function newPackageRecord(name: string, version: string, arch: string): PackageRecord {
  return { name, version, arch, depends: [], provides: [], installIf: [], replaces: [], extra: [] };
}

/** `name-version`, the stem of the package's file name and of its cache directory. */
export function packageStem(p: Pick<PackageRecord, 'name' | 'version'>): string {
  return `${p.name}-${p.version}`;
}

/** `name=version`, the form locked configs pin packages with. */
export function packagePin(p: Pick<PackageRecord, 'name' | 'version'>): string {
  return `${p.name}=${p.version}`;
}
