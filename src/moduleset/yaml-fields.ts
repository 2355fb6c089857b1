/**
 * Strict reading of small settings files (apkgraph.yaml, module.yaml) with positions.
 *
 * Every value is read from the YAML node tree rather than from a plain object so that an error
 * can point at `file:line:col` and show the offending line with a marker under it. Unknown keys
 * are errors: a typo such as `depend_on` must not silently mean "no dependencies".
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { configError, parseYamlDocument, positionOf, type YamlDocument } from '../config/yaml.js';
import type { ApkgraphError } from '../errors.js';

/** A parsed YAML file and what is needed to point into it (the apko parser's document). */
export type YamlFile = YamlDocument;

/** Where something was declared: a file and a 1-based line and column. */
export interface SourcePos {
  path: string;
  line: number;
  column: number;
}

/** Parses `text`; syntax errors become ERR_CONFIG_YAML at the first error's position. */
export function parseYamlFile(text: string, path: string): YamlFile {
  return parseYamlDocument(text, path);
}

/** The position of a node (or of the document start when there is none). */
export function posOf(file: YamlFile, node: Node | null | undefined): SourcePos {
  return { path: file.file, ...positionOf(file, node?.range?.[0] ?? 0) };
}

/** `file:line:col`. */
export function formatPos(pos: SourcePos): string {
  return `${pos.path}:${pos.line}:${pos.column}`;
}

/** An ERR_CONFIG error at `node`, with the offending line and a marker under the column. */
export function nodeError(
  file: YamlFile,
  node: Node | null | undefined,
  message: string,
  hint?: string,
): ApkgraphError {
  return configError(file, node, message, hint);
}

/** A top-level mapping entry: its key node and value node. */
export interface Entry {
  key: string;
  keyNode: Node;
  value: Node | null;
}

/**
 * The entries of the document's top-level mapping, checked against `allowed`. An empty
 * document yields no entries (every key is optional).
 */
export function topLevelEntries(file: YamlFile, allowed: readonly string[]): Entry[] {
  const root = file.doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  if (!isMap(root)) throw nodeError(file, root, 'expected a mapping of settings at the top level');
  const out: Entry[] = [];
  for (const pair of root.items) {
    const keyNode = pair.key as Node;
    if (!isScalar(keyNode) || typeof keyNode.value !== 'string') {
      throw nodeError(file, keyNode, 'expected a plain string key');
    }
    const key = keyNode.value;
    if (!allowed.includes(key)) {
      throw nodeError(
        file,
        keyNode,
        `unknown key "${key}"`,
        `the keys allowed here are: ${allowed.join(', ')}`,
      );
    }
    out.push({ key, keyNode, value: pair.value ?? null });
  }
  return out;
}

/** A boolean value. */
export function readBool(file: YamlFile, e: Entry): boolean {
  if (isScalar(e.value) && typeof e.value.value === 'boolean') return e.value.value;
  throw nodeError(file, e.value ?? e.keyNode, `"${e.key}" must be true or false`);
}

/** A string scalar. */
export function readString(file: YamlFile, e: Entry): string {
  if (isScalar(e.value) && typeof e.value.value === 'string' && e.value.value !== '') {
    return e.value.value;
  }
  throw nodeError(file, e.value ?? e.keyNode, `"${e.key}" must be a non-empty string`);
}

/** A list of non-empty strings, each with its position. */
export function readStringList(file: YamlFile, e: Entry): Array<{ value: string; pos: SourcePos }> {
  if (e.value === null || (isScalar(e.value) && e.value.value === null)) return [];
  if (!isSeq(e.value)) throw nodeError(file, e.value, `"${e.key}" must be a list of strings`);
  return e.value.items.map((item) => {
    const node = item as Node;
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '') {
      throw nodeError(file, node, `every entry of "${e.key}" must be a non-empty string`);
    }
    return { value: node.value, pos: posOf(file, node) };
  });
}

/** A mapping of strings to strings. */
export function readStringMap(file: YamlFile, e: Entry): Record<string, string> {
  if (e.value === null || (isScalar(e.value) && e.value.value === null)) return {};
  if (!isMap(e.value)) throw nodeError(file, e.value, `"${e.key}" must be a mapping`);
  const out: Record<string, string> = {};
  for (const pair of e.value.items) {
    const k = pair.key as Node;
    const v = pair.value as Node | null;
    if (!isScalar(k) || typeof k.value !== 'string') {
      throw nodeError(file, k, `every key of "${e.key}" must be a string`);
    }
    if (!isScalar(v) || typeof v.value !== 'string' || v.value === '') {
      throw nodeError(file, v ?? k, `"${e.key}.${k.value}" must be a non-empty string`);
    }
    out[k.value] = v.value;
  }
  return out;
}
