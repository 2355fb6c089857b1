/**
 * Strict reading of small settings files (apkgraph.yaml, module.yaml) with positions.
 *
 * Every value is read from the YAML node tree rather than from a plain object so that an error
 * can point at `file:line:col` and show the offending line with a marker under it. Unknown keys
 * are errors: a typo such as `depend_on` must not silently mean "no dependencies".
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ApkgraphError, type ErrorCode } from '../errors.js';

/** A parsed YAML file and what is needed to point into it. */
export interface YamlFile {
  path: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** Where something was declared: a file and a 1-based line and column. */
export interface SourcePos {
  path: string;
  line: number;
  column: number;
}

/** Parses `text`; syntax errors become ERR_CONFIG_YAML at the first error's position. */
export function parseYamlFile(text: string, path: string): YamlFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const file: YamlFile = { path, text, doc, lines };
  const first = doc.errors[0];
  if (first) {
    throw yamlError(file, first.pos[0], 'ERR_CONFIG_YAML', first.message.split('\n')[0] ?? '', {
      hint: 'fix the YAML syntax at that position',
    });
  }
  return file;
}

/** The position of a node (or of the document start when there is none). */
export function posOf(file: YamlFile, node: Node | null | undefined): SourcePos {
  const offset = node?.range?.[0] ?? 0;
  const { line, col } = file.lines.linePos(offset);
  return { path: file.path, line, column: col };
}

/** `file:line:col`. */
export function formatPos(pos: SourcePos): string {
  return `${pos.path}:${pos.line}:${pos.column}`;
}

/** An error at `offset` in `file`, with the offending line and a marker under the column. */
export function yamlError(
  file: YamlFile,
  offset: number,
  code: ErrorCode,
  message: string,
  extra: { hint?: string } = {},
): ApkgraphError {
  const { line, col } = file.lines.linePos(offset);
  const source = file.text.split(/\r?\n/)[line - 1] ?? '';
  const gutter = String(line);
  const snippet = `\n  ${gutter} | ${source}\n  ${' '.repeat(gutter.length)} | ${' '.repeat(Math.max(0, col - 1))}^`;
  return new ApkgraphError(code, `${file.path}:${line}:${col}: ${message}${snippet}`, {
    path: file.path,
    line,
    column: col,
    ...extra,
  });
}

/** An ERR_CONFIG error pointing at `node`. */
export function nodeError(
  file: YamlFile,
  node: Node | null | undefined,
  message: string,
  hint?: string,
): ApkgraphError {
  return yamlError(file, node?.range?.[0] ?? 0, 'ERR_CONFIG', message, hint ? { hint } : {});
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
