/**
 * APKINDEX text: stanzas of `X:value` lines separated by blank lines, one stanza per package.
 *
 * The parser makes a single pass over the text with `indexOf`, without a regular expression
 * per line: an Alpine main index has ~5,600 stanzas and ~90,000 lines, and parsing it is on
 * the path of every config node.
 */
import { ApkgraphError } from '../errors.js';
import type { PackageRecord } from './types.js';

/** `D:`, `p:`, `i:` and `r:` hold space-separated lists. */
function splitList(value: string): string[] {
  if (value === '') return [];
  const parts = value.split(' ');
  // Doubled, leading or trailing spaces are rare; only then are empty items dropped.
  const tidy =
    value.charCodeAt(0) !== 32 &&
    value.charCodeAt(value.length - 1) !== 32 &&
    value.indexOf('  ') === -1;
  return tidy ? parts : parts.filter((s) => s !== '');
}

/** The decimal number in `text[start, end)`, or -1 if it is not a plain one of ≤15 digits. */
function digitsAt(text: string, start: number, end: number): number {
  if (end === start || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function toInt(value: string, letter: string, line: number, source: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new ApkgraphError(
      'ERR_INDEX_FORMAT',
      `${letter}: is not a whole number on line ${line} of ${source}: "${value}"`,
      {
        path: source,
        line,
        hint: 'the index is corrupt; download it again',
      },
    );
  }
  return n;
}

/**
 * Sets one field of `r` from an index or installed-db line. Returns false for letters that are
 * not package-record fields (the caller keeps them in `extra` or handles them itself).
 */
export function applyRecordField(
  r: PackageRecord,
  letter: string,
  value: string,
  line: number,
  source: string,
): boolean {
  switch (letter) {
    case 'P':
      r.name = value;
      return true;
    case 'V':
      r.version = value;
      return true;
    case 'A':
      r.arch = value;
      return true;
    case 'S':
      r.size = toInt(value, letter, line, source);
      return true;
    case 'I':
      r.installedSize = toInt(value, letter, line, source);
      return true;
    case 'T':
      r.description = value;
      return true;
    case 'U':
      r.url = value;
      return true;
    case 'L':
      r.license = value;
      return true;
    case 'o':
      r.origin = value;
      return true;
    case 'm':
      r.maintainer = value;
      return true;
    case 't':
      r.buildTime = toInt(value, letter, line, source);
      return true;
    case 'c':
      r.commit = value;
      return true;
    case 'D':
      r.depends = splitList(value);
      return true;
    case 'p':
      r.provides = splitList(value);
      return true;
    case 'i':
      r.installIf = splitList(value);
      return true;
    case 'k':
      r.providerPriority = toInt(value, letter, line, source);
      return true;
    case 'C':
      r.checksum = value;
      return true;
    case 'r':
      r.replaces = splitList(value);
      return true;
    default:
      return false;
  }
}

function emptyRecord(): PackageRecord {
  return {
    name: '',
    version: '',
    arch: '',
    depends: [],
    provides: [],
    installIf: [],
    replaces: [],
    extra: [],
  };
}

function finishRecord(r: PackageRecord, line: number, source: string): PackageRecord {
  if (r.name === '' || r.version === '') {
    throw new ApkgraphError(
      'ERR_INDEX_FORMAT',
      `package stanza ending on line ${line} of ${source} has no ` +
        `${r.name === '' ? 'P:' : 'V:'} field`,
      {
        path: source,
        line,
        hint: 'the index is corrupt; download it again',
      },
    );
  }
  return r;
}

/**
 * Parses APKINDEX text into records, in file order. Unknown letters are kept in `extra`.
 * `source` (a file or URL) names the input in error messages.
 */
export function parseIndexText(text: string, source = 'APKINDEX'): PackageRecord[] {
  const out: PackageRecord[] = [];
  let cur: PackageRecord | undefined;
  let pos = 0;
  let line = 0;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = n;
    line++;
    if (end === pos) {
      if (cur) out.push(finishRecord(cur, line, source));
      cur = undefined;
      pos = end + 1;
      continue;
    }
    if (text.charCodeAt(pos + 1) !== 58 /* ':' */) {
      throw new ApkgraphError(
        'ERR_INDEX_FORMAT',
        `line ${line} of ${source} is not a "X:value" field`,
        {
          path: source,
          line,
          hint: 'the index is corrupt or not an APKINDEX; download it again',
        },
      );
    }
    cur ??= emptyRecord();
    // Sizes and times are read in place: no substring, no Number() (a third of the parse).
    const code = text.charCodeAt(pos);
    if (code === 83 /* S */ || code === 73 /* I */ || code === 116 /* t */) {
      const n = digitsAt(text, pos + 2, end);
      if (n >= 0) {
        if (code === 83) cur.size = n;
        else if (code === 73) cur.installedSize = n;
        else cur.buildTime = n;
        pos = end + 1;
        continue;
      }
    }
    const letter = text[pos] as string;
    const value = text.slice(pos + 2, end);
    if (!applyRecordField(cur, letter, value, line, source)) cur.extra.push([letter, value]);
    pos = end + 1;
  }
  if (cur) out.push(finishRecord(cur, line, source));
  return out;
}

/**
 * Appends the index lines of `r` to `lines`, in the order current apk writes them:
 * C P V A S I T U L o m t c k D p i, then r and unknown letters.
 */
export function recordLines(r: PackageRecord, lines: string[]): void {
  if (r.checksum !== undefined) lines.push(`C:${r.checksum}`);
  lines.push(`P:${r.name}`, `V:${r.version}`);
  if (r.arch !== '') lines.push(`A:${r.arch}`);
  if (r.size !== undefined) lines.push(`S:${r.size}`);
  if (r.installedSize !== undefined) lines.push(`I:${r.installedSize}`);
  if (r.description !== undefined) lines.push(`T:${r.description}`);
  if (r.url !== undefined) lines.push(`U:${r.url}`);
  if (r.license !== undefined) lines.push(`L:${r.license}`);
  if (r.origin !== undefined) lines.push(`o:${r.origin}`);
  if (r.maintainer !== undefined) lines.push(`m:${r.maintainer}`);
  if (r.buildTime !== undefined) lines.push(`t:${r.buildTime}`);
  if (r.commit !== undefined) lines.push(`c:${r.commit}`);
  if (r.providerPriority !== undefined) lines.push(`k:${r.providerPriority}`);
  if (r.depends.length > 0) lines.push(`D:${r.depends.join(' ')}`);
  if (r.provides.length > 0) lines.push(`p:${r.provides.join(' ')}`);
  if (r.installIf.length > 0) lines.push(`i:${r.installIf.join(' ')}`);
  if (r.replaces.length > 0) lines.push(`r:${r.replaces.join(' ')}`);
  for (const [letter, value] of r.extra) lines.push(`${letter}:${value}`);
}

/** Writes records as APKINDEX text: each stanza followed by a blank line. */
export function formatIndexText(records: readonly PackageRecord[]): string {
  const lines: string[] = [];
  for (const r of records) {
    recordLines(r, lines);
    lines.push('');
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
