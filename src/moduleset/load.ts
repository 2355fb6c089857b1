/**
 * Loads a module set from disk: `<set>/apkgraph.yaml`, then every `<set>/<module>/apko.yaml`
 * with its optional `module.yaml`. A folder without apko.yaml is not a module.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { toApkArch } from '../apk/arch.js';
import { ApkgraphError, isApkgraphError, throwIfAborted, wrapError } from '../errors.js';
import { readApkoView } from './apko-view.js';
import {
  DEFAULT_DEV_PACKAGES,
  type ModuleDef,
  type ModuleSet,
  type ModuleSettings,
  type SetSettings,
} from './types.js';
import {
  nodeError,
  parseYamlFile,
  readBool,
  readString,
  readStringList,
  readStringMap,
  topLevelEntries,
  type YamlFile,
} from './yaml-fields.js';

const SET_KEYS = [
  'prefetch',
  'archs',
  'repositories',
  'keyring',
  'packages',
  'dev_packages',
  'mirrors',
  'demo',
] as const;
const MODULE_KEYS = ['dev', 'extra_dev_packages', 'depends_on'] as const;

/** Names a module folder may have: they become node ids and output paths. */
const MODULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw wrapError(`reading ${path}`, err, 'ERR_IO', { path });
  }
}

function isUrl(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
}

/** Parses apkgraph.yaml text; relative keyring and demo paths are taken from `setDir`. */
export function parseSetSettings(text: string, path: string, setDir: string): SetSettings {
  const file = parseYamlFile(text, path);
  const s: SetSettings = {
    prefetch: false,
    archs: [],
    repositories: [],
    keyring: [],
    packages: [],
    devPackages: [...DEFAULT_DEV_PACKAGES],
    mirrors: {},
  };
  for (const e of topLevelEntries(file, SET_KEYS)) {
    switch (e.key) {
      case 'prefetch':
        s.prefetch = readBool(file, e);
        break;
      case 'archs':
        s.archs = archList(file, e.value, readStringList(file, e));
        break;
      case 'repositories':
        s.repositories = readStringList(file, e).map((x) => x.value);
        break;
      case 'keyring':
        s.keyring = readStringList(file, e).map((x) =>
          isUrl(x.value) || isAbsolute(x.value) ? x.value : resolve(setDir, x.value),
        );
        break;
      case 'packages':
        s.packages = readStringList(file, e).map((x) => x.value);
        break;
      case 'dev_packages':
        s.devPackages = readStringList(file, e).map((x) => x.value);
        break;
      case 'mirrors':
        s.mirrors = readStringMap(file, e);
        break;
      case 'demo':
        s.demo = resolve(setDir, readString(file, e));
        break;
    }
  }
  return s;
}

function archList(
  file: YamlFile,
  node: Parameters<typeof nodeError>[1],
  items: Array<{ value: string }>,
): string[] {
  const out: string[] = [];
  for (const { value } of items) {
    try {
      out.push(toApkArch(value));
    } catch (err) {
      if (isApkgraphError(err)) throw nodeError(file, node, err.message, err.hint);
      throw err;
    }
  }
  return [...new Set(out)];
}

/** Parses module.yaml text. */
export function parseModuleSettings(text: string, path: string): ModuleSettings {
  const file = parseYamlFile(text, path);
  const m: ModuleSettings = { dev: true, extraDevPackages: [], dependsOn: [] };
  for (const e of topLevelEntries(file, MODULE_KEYS)) {
    switch (e.key) {
      case 'dev':
        m.dev = readBool(file, e);
        break;
      case 'extra_dev_packages':
        m.extraDevPackages = readStringList(file, e).map((x) => x.value);
        break;
      case 'depends_on': {
        const seen = new Set<string>();
        for (const x of readStringList(file, e)) {
          if (seen.has(x.value)) continue;
          seen.add(x.value);
          m.dependsOn.push({ module: x.value, pos: x.pos });
        }
        m.dependsOn.sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : 0));
        break;
      }
    }
  }
  return m;
}

/** Options of {@link loadModuleSet}. */
export interface LoadModuleSetOptions {
  signal?: AbortSignal;
}

/**
 * Reads the module set in `dir`. Modules are sorted by name. Throws ERR_MODULE_SET when `dir`
 * is not a directory or holds no module, ERR_CONFIG / ERR_CONFIG_YAML with `file:line:col`
 * for bad settings or apko configs.
 */
export async function loadModuleSet(
  dir: string,
  options: LoadModuleSetOptions = {},
): Promise<ModuleSet> {
  const setDir = resolve(dir);
  const st = await stat(setDir).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new ApkgraphError('ERR_MODULE_SET', `module set ${setDir} is not a directory`, {
      path: setDir,
      hint:
        'pass the folder that holds apkgraph.yaml and one folder per module; ' +
        'without a folder, run and plan use the embedded set',
    });
  }
  const settingsPath = join(setDir, 'apkgraph.yaml');
  const settingsText = await readOptional(settingsPath);
  const settings =
    settingsText === undefined
      ? parseSetSettings('', settingsPath, setDir)
      : parseSetSettings(settingsText, settingsPath, setDir);

  const entries = (await readdir(setDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  const modules: ModuleDef[] = [];
  const foldersWithoutApko: string[] = [];
  for (const name of entries) {
    throwIfAborted(options.signal);
    const mdir = join(setDir, name);
    const apkoPath = join(mdir, 'apko.yaml');
    const apkoText = await readOptional(apkoPath);
    if (apkoText === undefined) {
      foldersWithoutApko.push(name);
      continue;
    }
    if (!MODULE_NAME.test(name)) {
      throw new ApkgraphError('ERR_MODULE_SET', `module folder name "${name}" is not allowed`, {
        path: mdir,
        hint: 'use letters, digits, ".", "_" and "-", starting with a letter or digit',
      });
    }
    const apko = await readApkoView(apkoText, apkoPath);
    const modPath = join(mdir, 'module.yaml');
    const modText = await readOptional(modPath);
    const def: ModuleDef = {
      name,
      dir: mdir,
      apkoPath,
      apko,
      settings:
        modText === undefined
          ? { dev: true, extraDevPackages: [], dependsOn: [] }
          : parseModuleSettings(modText, modPath),
    };
    if (modText !== undefined) def.settingsPath = modPath;
    modules.push(def);
  }
  if (modules.length === 0) {
    const isModule = (await readOptional(join(setDir, 'apko.yaml'))) !== undefined;
    throw new ApkgraphError('ERR_MODULE_SET', `module set ${setDir} has no modules`, {
      path: setDir,
      hint: isModule
        ? `${setDir} is a module itself (it holds apko.yaml): pass the set folder above it, ` +
          `with --target ${basename(setDir)} to build only this module`
        : 'a module is a folder holding apko.yaml (and optionally module.yaml)',
    });
  }
  const set: ModuleSet = { dir: setDir, settings, modules };
  if (settingsText !== undefined) set.settingsPath = settingsPath;
  if (foldersWithoutApko.length > 0) set.foldersWithoutApko = foldersWithoutApko;
  return set;
}
