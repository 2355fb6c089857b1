/**
 * What the graph and the scheduler need from a module's apko.yaml: the package list, the archs,
 * the repositories and the keyring, plus the whole parsed config for the image.
 *
 * Full strict validation of every apko field belongs to the apko config parser in src/config;
 * this view checks the top-level and `contents` keys against apko's field list so that a typo
 * is reported at its position even before the image is resolved.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { toApkArch } from '../apk/arch.js';
import { isApkgraphError } from '../errors.js';
import { nodeError, parseYamlFile, type YamlFile } from './yaml-fields.js';

/** The parts of an apko image configuration that drive resolution. */
export interface ApkoView {
  /** `contents.packages`, as written (constraints or `name=version` pins). */
  packages: string[];
  /** `archs`, normalised to apk names; empty when the config names none. */
  archs: string[];
  repositories: string[];
  buildRepositories: string[];
  runtimeRepositories: string[];
  keyring: string[];
  /** The whole config as plain data, for the image spec of build nodes. */
  raw: Record<string, unknown>;
}

const TOP_KEYS = [
  'contents',
  'entrypoint',
  'cmd',
  'stop-signal',
  'work-dir',
  'accounts',
  'archs',
  'environment',
  'paths',
  'vcs-url',
  'annotations',
  'include',
  'volumes',
  'layering',
  'format',
  'certificates',
] as const;

const CONTENTS_KEYS = [
  'repositories',
  'build_repositories',
  'runtime_repositories',
  'keyring',
  'runtime_keyring',
  'packages',
  'baseimage',
] as const;

function checkKeys(file: YamlFile, node: Node, allowed: readonly string[], where: string): void {
  if (!isMap(node)) throw nodeError(file, node, `${where} must be a mapping`);
  for (const pair of node.items) {
    const k = pair.key as Node;
    const name = isScalar(k) ? String(k.value) : '?';
    if (!allowed.includes(name)) {
      throw nodeError(
        file,
        k,
        `unknown apko field "${where === 'the config' ? name : `contents.${name}`}"`,
        `apko accepts: ${allowed.join(', ')}`,
      );
    }
  }
}

function stringList(file: YamlFile, node: Node | undefined, what: string): string[] {
  if (node === undefined || node === null || (isScalar(node) && node.value === null)) return [];
  if (!isSeq(node)) throw nodeError(file, node, `${what} must be a list of strings`);
  return node.items.map((item) => {
    const n = item as Node;
    if (!isScalar(n) || typeof n.value !== 'string' || n.value === '') {
      throw nodeError(file, n, `every entry of ${what} must be a non-empty string`);
    }
    return n.value;
  });
}

/** Reads an apko.yaml into an {@link ApkoView}; errors point at `path:line:col`. */
export function readApkoView(text: string, path: string): ApkoView {
  const file = parseYamlFile(text, path);
  const root = file.doc.contents as Node | null;
  if (root === null || (isScalar(root) && root.value === null)) {
    throw nodeError(file, root, 'the apko configuration is empty', 'add contents.packages');
  }
  checkKeys(file, root, TOP_KEYS, 'the config');
  const top = root as unknown as { get(k: string, keep: true): Node | undefined };
  const contents = top.get('contents', true);
  let packages: string[] = [];
  let repositories: string[] = [];
  let buildRepositories: string[] = [];
  let runtimeRepositories: string[] = [];
  let keyring: string[] = [];
  if (contents !== undefined) {
    checkKeys(file, contents, CONTENTS_KEYS, 'contents');
    const c = contents as unknown as { get(k: string, keep: true): Node | undefined };
    packages = stringList(file, c.get('packages', true), 'contents.packages');
    repositories = stringList(file, c.get('repositories', true), 'contents.repositories');
    buildRepositories = stringList(
      file,
      c.get('build_repositories', true),
      'contents.build_repositories',
    );
    runtimeRepositories = stringList(
      file,
      c.get('runtime_repositories', true),
      'contents.runtime_repositories',
    );
    keyring = stringList(file, c.get('keyring', true), 'contents.keyring');
  }
  const archNode = top.get('archs', true);
  const archs = stringList(file, archNode, 'archs').map((a) => {
    try {
      return toApkArch(a);
    } catch (err) {
      if (isApkgraphError(err)) throw nodeError(file, archNode, err.message, err.hint);
      throw err;
    }
  });
  const raw = (file.doc.toJS() ?? {}) as Record<string, unknown>;
  return {
    packages,
    archs: [...new Set(archs)],
    repositories,
    buildRepositories,
    runtimeRepositories,
    keyring,
    raw,
  };
}
