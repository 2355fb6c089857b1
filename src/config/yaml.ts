/**
 * Strict YAML with positions: the shared machinery for apko.yaml, apkgraph.yaml and
 * module.yaml.
 *
 * Configuration mistakes are the most common failure users meet, so every error points into
 * the file: `file:line:col`, the offending line, and a marker under the column. Documents are
 * checked against a small declarative {@link Schema}; unknown keys and wrong types are errors,
 * as apko's `yaml.UnmarshalStrict` makes them.
 */
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type Scalar,
} from 'yaml';
import { ApkgraphError, type ErrorCode } from '../errors.js';

/** A parsed document with what is needed to point at its nodes. */
export interface YamlDocument {
  readonly file: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

/** Parses `text`; syntax errors become ERR_CONFIG_YAML with the position of the first one. */
export function parseYamlDocument(text: string, file: string): YamlDocument {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const yd: YamlDocument = { file, text, doc, lines };
  const first = doc.errors[0];
  if (first) {
    const offset = first.pos[0];
    throw positionedError('ERR_CONFIG_YAML', yd, offset, first.message.split('\n')[0] ?? '', {
      hint: 'fix the YAML syntax at the marked place',
    });
  }
  return yd;
}

/** 1-based line and column of a character offset. */
export function positionOf(yd: YamlDocument, offset: number): { line: number; column: number } {
  const p = yd.lines.linePos(offset);
  return { line: p.line, column: p.col };
}

function snippet(yd: YamlDocument, line: number, column: number): string {
  const text = yd.text.split('\n')[line - 1] ?? '';
  return (
    `\n  ${line} | ${text}\n` +
    `  ${' '.repeat(String(line).length)} | ${' '.repeat(Math.max(0, column - 1))}^`
  );
}

function positionedError(
  code: ErrorCode,
  yd: YamlDocument,
  offset: number,
  message: string,
  extra: { hint?: string },
): ApkgraphError {
  const { line, column } = positionOf(yd, offset);
  return new ApkgraphError(
    code,
    `${yd.file}:${line}:${column}: ${message}${snippet(yd, line, column)}`,
    { path: yd.file, line, column, ...extra },
  );
}

/**
 * An ERR_CONFIG (or `code`) error pointing at `at`: a node, or a key path such as
 * `['contents', 'packages', 2]`. A missing node points at the document start.
 */
export function configError(
  yd: YamlDocument,
  at: Node | ReadonlyArray<string | number> | null | undefined,
  message: string,
  hint?: string,
  code: ErrorCode = 'ERR_CONFIG',
): ApkgraphError {
  const node = Array.isArray(at) ? nodeAt(yd, at) : (at as Node | null | undefined);
  const offset = node?.range?.[0] ?? 0;
  return positionedError(code, yd, offset, message, hint === undefined ? {} : { hint });
}

/** What a value must look like. Objects list their keys; anything else is an error. */
export type Schema =
  | { kind: 'string' }
  | { kind: 'int'; octalText?: boolean }
  | { kind: 'bool' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'list'; of: Schema }
  | { kind: 'map'; values: Schema }
  | {
      kind: 'object';
      fields: Readonly<Record<string, Schema>>;
      required?: readonly string[];
      /** Keys that were once valid, with the reason they are not any more. */
      removed?: Readonly<Record<string, string>>;
    }
  /** A string, or a list of strings joined by spaces (apko's command fields accept both). */
  | { kind: 'stringOrList' };

function describe(schema: Schema): string {
  switch (schema.kind) {
    case 'string':
      return 'a string';
    case 'int':
      return 'a whole number';
    case 'bool':
      return 'true or false';
    case 'enum':
      return `one of ${schema.values.join(', ')}`;
    case 'list':
      return 'a list';
    case 'map':
      return 'a mapping';
    case 'object':
      return 'a mapping';
    case 'stringOrList':
      return 'a string or a list of strings';
  }
}

function typeOf(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v: unknown = node.value;
    if (v === null) return 'null';
    if (typeof v === 'string') return 'a string';
    return typeof v === 'number' || typeof v === 'boolean' ? `the ${typeof v} ${v}` : 'a value';
  }
  return 'an alias';
}

function scalarText(node: Scalar): string {
  const v = node.value;
  // Go's YAML decoder turns any scalar into a string field; keep the text as written.
  if (typeof v === 'string') return v;
  return node.source ?? String(v);
}

/**
 * Reads `node` as `schema`, at `path` (for messages). Returns plain data; throws ERR_CONFIG at
 * the first mismatch. Keys absent from the document are absent from the result.
 */
export function readNode(
  yd: YamlDocument,
  node: Node | null,
  schema: Schema,
  path: string,
): unknown {
  const wrong = (): ApkgraphError =>
    configError(
      yd,
      node,
      `${path || 'the document'} must be ${describe(schema)}, not ${typeOf(node)}`,
    );
  switch (schema.kind) {
    case 'string':
      if (!isScalar(node) || node.value === null || typeof node.value === 'object') throw wrong();
      return scalarText(node);
    case 'int': {
      if (!isScalar(node)) throw wrong();
      const src = node.source ?? '';
      if (schema.octalText && typeof node.value === 'number' && /^0[0-7]+$/.test(src)) {
        return parseInt(src, 8);
      }
      if (typeof node.value !== 'number' || !Number.isInteger(node.value)) throw wrong();
      return node.value;
    }
    case 'bool':
      if (!isScalar(node) || typeof node.value !== 'boolean') throw wrong();
      return node.value;
    case 'enum': {
      if (!isScalar(node) || typeof node.value !== 'string') throw wrong();
      if (!schema.values.includes(node.value)) {
        throw configError(yd, node, `${path} must be ${describe(schema)}, not "${node.value}"`);
      }
      return node.value;
    }
    case 'stringOrList':
      if (isSeq(node)) {
        return node.items.map((item, i) =>
          readNode(yd, item as Node, { kind: 'string' }, `${path}[${i}]`),
        );
      }
      return readNode(yd, node, { kind: 'string' }, path);
    case 'list':
      if (node === null || (isScalar(node) && node.value === null)) return [];
      if (!isSeq(node)) throw wrong();
      return node.items.map((item, i) => readNode(yd, item as Node, schema.of, `${path}[${i}]`));
    case 'map': {
      if (node === null || (isScalar(node) && node.value === null)) return {};
      if (!isMap(node)) throw wrong();
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const key = readNode(yd, pair.key as Node, { kind: 'string' }, `${path} key`) as string;
        out[key] = readNode(yd, pair.value as Node | null, schema.values, `${path}.${key}`);
      }
      return out;
    }
    case 'object': {
      if (node === null || (isScalar(node) && node.value === null)) {
        if (schema.required?.length) throw wrong();
        return {};
      }
      if (!isMap(node)) throw wrong();
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = pair.key as Node;
        const key = readNode(yd, keyNode, { kind: 'string' }, `${path} key`) as string;
        const field = schema.fields[key];
        const removed = schema.removed?.[key];
        if (field === undefined && removed !== undefined) {
          throw configError(yd, keyNode, `the field "${key}" is no longer supported`, removed);
        }
        if (field === undefined) {
          const known = Object.keys(schema.fields).join(', ');
          throw configError(
            yd,
            keyNode,
            `unknown field "${key}" in ${path || 'the document'}`,
            `the fields allowed here are: ${known}`,
          );
        }
        const child = `${path ? `${path}.` : ''}${key}`;
        out[key] = readNode(yd, pair.value as Node | null, field, child);
      }
      for (const req of schema.required ?? []) {
        if (!(req in out)) {
          throw configError(yd, node, `${path || 'the document'} needs the field "${req}"`);
        }
      }
      return out;
    }
  }
}

/** Finds the node at a key path (`['contents', 'packages', 2]`), for pointing errors at it. */
export function nodeAt(yd: YamlDocument, path: ReadonlyArray<string | number>): Node | undefined {
  const found = yd.doc.getIn(path, true) as Node | undefined;
  return found ?? undefined;
}
