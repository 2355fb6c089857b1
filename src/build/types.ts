/**
 * What a build worker is given and what it gives back. Everything here is plain data that
 * survives structured cloning, so a request can cross a worker boundary unchanged.
 */
import type { PackageRecord } from '../apk/types.js';
import type { ApkoPath } from '../config/apko.js';

/** A user account, with apko's YAML field names. */
export interface ImageUser {
  username: string;
  uid: number;
  /** Primary group id; defaults to `uid`. */
  gid?: number;
  /** Login shell; defaults to `/bin/sh`. */
  shell?: string;
  /** Home directory; defaults to `/home/<username>`. */
  homedir?: string;
}

/** A group, with apko's YAML field names. */
export interface ImageGroup {
  groupname: string;
  gid: number;
  members?: string[];
}

/** apko's `accounts` block. */
export interface ImageAccounts {
  /** The user the container runs as (name or uid), the OCI config `User`. */
  'run-as'?: string;
  users?: ImageUser[];
  groups?: ImageGroup[];
}

/** One apko `paths` mutation: the config's own type, already plain data. */
export type ImagePathMutation = ApkoPath;

/** apko's `entrypoint` block (services are not supported). */
export interface ImageEntrypoint {
  /** A command line, split into words like a shell would. */
  command?: string;
  /** A shell snippet, run as `/bin/sh -c <fragment>`. */
  'shell-fragment'?: string;
}

/** The image-level parts of an apko config that a build needs. */
export interface ImageSpec {
  entrypoint?: ImageEntrypoint;
  /** A command line, split into words like a shell would. */
  cmd?: string;
  environment?: Record<string, string>;
  workDir?: string;
  accounts?: ImageAccounts;
  paths?: ImagePathMutation[];
  volumes?: string[];
  stopSignal?: string;
  /** Manifest annotations. */
  annotations?: Record<string, string>;
}

/** One locked package: its record and where its expanded parts are on disk. */
export type BuildPackage = Pick<
  PackageRecord,
  | 'name'
  | 'version'
  | 'arch'
  | 'origin'
  | 'license'
  | 'description'
  | 'url'
  | 'size'
  | 'installedSize'
  | 'buildTime'
  | 'commit'
  | 'depends'
  | 'provides'
  | 'installIf'
  | 'replaces'
  | 'providerPriority'
  | 'checksum'
  | 'maintainer'
> & {
  /** `<sha1>.ctl.tar.gz`: the control gzip member. */
  controlPath: string;
  /** `<sha256>.dat.tar.gz`: the data gzip member, a complete tar once decompressed. */
  dataPath: string;
};

/** Everything needed to build one architecture's image. */
export interface BuildRequest {
  /** apk architecture name (`x86_64`, `aarch64`). */
  arch: string;
  image: ImageSpec;
  /** Packages in install order. */
  packages: BuildPackage[];
  /** The requested packages, written to `/etc/apk/world`. */
  world: string[];
  /** Runtime repositories, written to `/etc/apk/repositories`. */
  repositories: string[];
  /** Keys installed to `/etc/apk/keys/<name>`. */
  keys: Array<{ name: string; pem: string }>;
  /** Build date in seconds; defaults to the newest package build time. */
  sourceDateEpoch?: number;
}

/** The OCI platform of an image. */
export interface OciPlatform {
  os: string;
  architecture: string;
  variant?: string;
}

/** What {@link buildArchImage} wrote into the blob directory. */
export interface ArchImageResult {
  /** apk architecture name. */
  arch: string;
  platform: OciPlatform;
  manifestDigest: string;
  manifestSize: number;
  configDigest: string;
  configSize: number;
  layerDigest: string;
  layerSize: number;
  /** sha256 of the uncompressed layer tar. */
  diffId: string;
  /** Build date used for timestamps, seconds since the epoch. */
  created: number;
  /** Manifest annotations, repeated on the index entry. */
  annotations: Record<string, string>;
  /** Number of entries in the layer. */
  entries: number;
}
