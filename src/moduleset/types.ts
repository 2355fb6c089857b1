/**
 * The module set, as loaded from disk: the set's settings and one entry per module folder.
 */
import type { ApkoView } from './apko-view.js';
import type { SourcePos } from './yaml-fields.js';

/** The default packages every latest-dev variant adds (the publisher's dev base list). */
export const DEFAULT_DEV_PACKAGES: readonly string[] = [
  'apk-tools',
  'bash',
  'busybox',
  'git',
  'wget',
];

/** Settings of the whole set (apkgraph.yaml); every key is optional in the file. */
export interface SetSettings {
  /** Config nodes download every locked APK of every arch into the cache. */
  prefetch: boolean;
  /** Architectures (apk names) for configs that name none; empty = the config's own. */
  archs: string[];
  /** Repositories added to every config. */
  repositories: string[];
  /** Keys (absolute paths, or URLs as written) trusted by every config. */
  keyring: string[];
  /** Packages added to every config's world. */
  packages: string[];
  /** What every latest-dev adds. */
  devPackages: string[];
  /** Repository URL prefix → where it is really fetched from. */
  mirrors: Record<string, string>;
  /** Absolute path of a demo repository spec the set is served from, if any. */
  demo?: string;
}

/** A `depends_on` entry and where it was written. */
export interface DependsOn {
  module: string;
  pos: SourcePos;
}

/** Settings of one module (module.yaml); every key is optional in the file. */
export interface ModuleSettings {
  /** Does the module have a latest-dev variant. */
  dev: boolean;
  extraDevPackages: string[];
  /** Modules whose config nodes must finish first, sorted by name. */
  dependsOn: DependsOn[];
}

/** One module: a folder holding apko.yaml. */
export interface ModuleDef {
  name: string;
  dir: string;
  apkoPath: string;
  apko: ApkoView;
  /** module.yaml's path when the module has one. */
  settingsPath?: string;
  settings: ModuleSettings;
}

/** A loaded module set; modules are sorted by name. */
export interface ModuleSet {
  dir: string;
  settingsPath?: string;
  settings: SetSettings;
  modules: ModuleDef[];
  /**
   * Folders of the set that hold no apko.yaml (so are not modules), by name; errors about a
   * `depends_on` naming one can then say what is missing.
   */
  foldersWithoutApko?: string[];
}
