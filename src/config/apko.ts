/**
 * apko image configuration (apko.yaml): types, a strict parser and the loader that resolves
 * `include`.
 *
 * Every field of apko's `ImageConfiguration` is known; anything else is an error, as apko's
 * strict decoding makes it. Fields apko has removed (`os-release`, build `options`) are
 * reported with that reason.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { ApkgraphError, wrapError } from '../errors.js';
import { isMap, isSeq } from 'yaml';
import { toApkArch } from '../apk/arch.js';
import { configError, nodeAt, parseYamlDocument, readNode, type Schema } from './yaml.js';

/** An inline key or certificate: `{name, content}`. */
export interface NamedContent {
  name: string;
  content: string;
}

export interface ApkoContents {
  repositories?: string[];
  build_repositories?: string[];
  runtime_repositories?: string[];
  keyring?: string[];
  runtime_keyring?: NamedContent[];
  packages?: string[];
  baseimage?: { image?: string; apkindex?: string };
}

export interface ApkoUser {
  username: string;
  uid?: number;
  gid?: number;
  shell?: string;
  homedir?: string;
}

export interface ApkoGroup {
  groupname: string;
  gid?: number;
  members?: string[];
}

/** One apko `paths` mutation, applied after the packages and accounts. */
export interface ApkoPath {
  path: string;
  type: 'directory' | 'empty-file' | 'hardlink' | 'symlink' | 'permissions';
  uid?: number;
  gid?: number;
  /** Permission bits (apko YAML writes them in octal, e.g. `0o755`). */
  permissions?: number;
  /** Target of a `hardlink` or `symlink`. */
  source?: string;
  /** For `permissions`: apply to everything below `path` too. */
  recursive?: boolean;
}

/** A parsed apko configuration. Architectures are apk names (`x86_64`, `aarch64`). */
export interface ApkoConfig {
  contents?: ApkoContents;
  entrypoint?: {
    type?: string;
    command?: string;
    'shell-fragment'?: string;
    services?: Record<string, string>;
  };
  cmd?: string;
  'stop-signal'?: string;
  'work-dir'?: string;
  accounts?: { 'run-as'?: string; users?: ApkoUser[]; groups?: ApkoGroup[] };
  archs?: string[];
  environment?: Record<string, string>;
  paths?: ApkoPath[];
  'vcs-url'?: string;
  annotations?: Record<string, string>;
  include?: string;
  volumes?: string[];
  layering?: { strategy?: string; budget?: number };
  format?: 'tar' | 'erofs';
  certificates?: { additional?: NamedContent[]; providers?: string[] };
}

const str: Schema = { kind: 'string' };
const strings: Schema = { kind: 'list', of: str };
const named: Schema = {
  kind: 'object',
  fields: { name: str, content: str },
  required: ['name', 'content'],
};

/** The schema of apko's `ImageConfiguration` (apko pkg/build/types). */
export const APKO_SCHEMA: Schema = {
  kind: 'object',
  removed: {
    'os-release': 'apko removed "os-release" (July 2024); install an os-release package instead',
    options: 'apko removed build "options"; put their packages and settings in the config itself',
  },
  fields: {
    contents: {
      kind: 'object',
      fields: {
        repositories: strings,
        build_repositories: strings,
        runtime_repositories: strings,
        keyring: strings,
        runtime_keyring: { kind: 'list', of: named },
        packages: strings,
        baseimage: { kind: 'object', fields: { image: str, apkindex: str } },
      },
    },
    entrypoint: {
      kind: 'object',
      fields: {
        type: { kind: 'enum', values: ['service-bundle'] },
        command: str,
        'shell-fragment': str,
        services: { kind: 'map', values: str },
      },
    },
    cmd: str,
    'stop-signal': str,
    'work-dir': str,
    accounts: {
      kind: 'object',
      fields: {
        'run-as': str,
        users: {
          kind: 'list',
          of: {
            kind: 'object',
            fields: {
              username: str,
              uid: { kind: 'int' },
              gid: { kind: 'int' },
              shell: str,
              homedir: str,
            },
            required: ['username'],
          },
        },
        groups: {
          kind: 'list',
          of: {
            kind: 'object',
            fields: { groupname: str, gid: { kind: 'int' }, members: strings },
            required: ['groupname'],
          },
        },
      },
    },
    archs: strings,
    environment: { kind: 'map', values: str },
    paths: {
      kind: 'list',
      of: {
        kind: 'object',
        fields: {
          path: str,
          type: {
            kind: 'enum',
            values: ['directory', 'empty-file', 'hardlink', 'symlink', 'permissions'],
          },
          uid: { kind: 'int' },
          gid: { kind: 'int' },
          permissions: { kind: 'int', octalText: true },
          source: str,
          recursive: { kind: 'bool' },
        },
        required: ['path', 'type'],
      },
    },
    'vcs-url': str,
    annotations: { kind: 'map', values: str },
    include: str,
    volumes: strings,
    layering: { kind: 'object', fields: { strategy: str, budget: { kind: 'int' } } },
    format: { kind: 'enum', values: ['tar', 'erofs'] },
    certificates: {
      kind: 'object',
      fields: { additional: { kind: 'list', of: named }, providers: strings },
    },
  },
};

/** Parses apko YAML text; `file` names it in errors. Does not follow `include`. */
export function parseApkoConfig(text: string, file: string): ApkoConfig {
  const yd = parseYamlDocument(text, file);
  const root = yd.doc.contents;
  if (root !== null && !isMap(root)) {
    // A JSON list or a plain string is some other file given by mistake (a manifest, a lock):
    // say what was expected rather than only that the top level has the wrong shape.
    const what = isSeq(root) ? 'a list' : 'a single value';
    throw new ApkgraphError(
      'ERR_CONFIG',
      `${file} is not an apko config: its top level is ${what}, and an apko config is a mapping ` +
        '(contents, archs, entrypoint, …)',
      { path: file, hint: 'pass an apko YAML file, such as a module’s apko.yaml' },
    );
  }
  const config = readNode(yd, root, APKO_SCHEMA, '') as ApkoConfig;
  if (config.archs) {
    config.archs = config.archs.map((a, i) => {
      try {
        return toApkArch(a);
      } catch (err) {
        throw configError(
          yd,
          nodeAt(yd, ['archs', i]),
          `unknown architecture "${a}"`,
          (err as ApkgraphError).hint,
        );
      }
    });
  }
  return config;
}

/**
 * Merges an included base under `config`: scalars and maps from `config` win, lists are
 * concatenated (base first, duplicates dropped), as apko's deprecated `include` does for the
 * fields people use it for (repositories, keyring, packages).
 */
export function mergeApkoConfigs(base: ApkoConfig, config: ApkoConfig): ApkoConfig {
  return mergeValue(base, config) as ApkoConfig;
}

function mergeValue(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (Array.isArray(base) && Array.isArray(over)) {
    const first = base as unknown[];
    const seen = new Set(first.map((v) => JSON.stringify(v)));
    return [...first, ...(over as unknown[]).filter((v) => !seen.has(JSON.stringify(v)))];
  }
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = mergeValue(base[k], v);
    return out;
  }
  return over;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How deep `include` chains may go before apkgraph assumes a loop. */
const MAX_INCLUDE_DEPTH = 8;

/**
 * Reads `path`, follows `include` (relative to the including file, local files only) and
 * returns the merged configuration without the `include` field.
 */
export async function loadApkoConfig(path: string, depth = 0): Promise<ApkoConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ApkgraphError('ERR_IO', `cannot read apko config ${path}`, {
      path,
      cause: err,
      hint: 'check the path',
    });
  }
  const config = parseApkoConfig(text, path);
  const include = config.include;
  if (include === undefined) return config;
  delete config.include;
  if (/^[a-z]+:\/\//i.test(include)) {
    throw new ApkgraphError('ERR_CONFIG', `${path}: include "${include}" is remote`, {
      path,
      hint: 'apko removed remote includes; copy the base config next to this one',
    });
  }
  if (depth >= MAX_INCLUDE_DEPTH) {
    throw new ApkgraphError(
      'ERR_CONFIG',
      `${path}: include chain is deeper than ${MAX_INCLUDE_DEPTH}`,
      {
        path,
        hint: 'an include probably includes itself',
      },
    );
  }
  const target = isAbsolute(include) ? include : resolvePath(dirname(path), include);
  try {
    return mergeApkoConfigs(await loadApkoConfig(target, depth + 1), config);
  } catch (err) {
    throw wrapError(`including ${include} from ${path}`, err, 'ERR_CONFIG');
  }
}
