/**
 * `lib/apk/db/installed`: one stanza per installed package, like an APKINDEX stanza followed by
 * its file list. `F:` starts a directory (with `M:uid:gid:mode` for its ownership), `R:` a file
 * in it (with `a:uid:gid:mode` and `Z:Q1…` SHA-1). Parsed stanzas keep their lines, so a database
 * read and written back is byte-for-byte the same; new stanzas are written in apk's field order.
 */
import { ApkgraphError } from '../errors.js';
import { applyRecordField, recordLines } from './apkindex.js';
import { newPackageRecord, type PackageRecord } from './types.js';

/** A file of an installed package. */
export interface InstalledFile {
  /** The name inside its directory. */
  name: string;
  /** `a:` ownership and mode, `uid:gid:mode` (mode in octal). */
  acl?: string;
  /** `Z:` checksum, `Q1…`. */
  checksum?: string;
}

/** A directory an installed package owns files in. */
export interface InstalledDir {
  /** Path without a leading `/`; `''` for the root. */
  path: string;
  /** `M:` ownership and mode, `uid:gid:mode`. */
  acl?: string;
  files: InstalledFile[];
}

/** One package of the installed database. */
export interface InstalledPackage {
  record: PackageRecord;
  dirs: InstalledDir[];
  /** Every line of the stanza, in order; formatting writes these when present. */
  lines: Array<[letter: string, value: string]>;
}

function fail(source: string, line: number, message: string): never {
  throw new ApkgraphError('ERR_INDEX_FORMAT', `${message} on line ${line} of ${source}`, {
    path: source,
    line,
    hint: 'the installed database is corrupt',
  });
}

/** Parses an installed database. `source` names it in messages. */
export function parseInstalledDb(
  text: string,
  source = 'lib/apk/db/installed',
): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  let cur: InstalledPackage | undefined;
  let dir: InstalledDir | undefined;
  let file: InstalledFile | undefined;
  let lineNo = 0;
  const close = (): void => {
    if (!cur) return;
    if (cur.record.name === '') fail(source, lineNo, 'package stanza without P:');
    out.push(cur);
    cur = undefined;
    dir = undefined;
    file = undefined;
  };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    lineNo++;
    if (line === '') {
      close();
      continue;
    }
    if (line.charCodeAt(1) !== 58) fail(source, lineNo, 'not a "X:value" line');
    const letter = line[0] as string;
    const value = line.slice(2);
    cur ??= { record: newPackageRecord('', '', ''), dirs: [], lines: [] };
    cur.lines.push([letter, value]);
    switch (letter) {
      case 'F':
        dir = { path: value, files: [] };
        cur.dirs.push(dir);
        file = undefined;
        break;
      case 'M':
        if (!dir) fail(source, lineNo, 'M: before any F:');
        dir.acl = value;
        break;
      case 'R':
        if (!dir) {
          // Files in the root directory come before any F: line.
          dir = { path: '', files: [] };
          cur.dirs.push(dir);
        }
        file = { name: value };
        dir.files.push(file);
        break;
      case 'a':
        if (!file) fail(source, lineNo, 'a: before any R:');
        file.acl = value;
        break;
      case 'Z':
        if (!file) fail(source, lineNo, 'Z: before any R:');
        file.checksum = value;
        break;
      default:
        if (!applyRecordField(cur.record, letter, value, lineNo, source)) {
          cur.record.extra.push([letter, value]);
        }
    }
  }
  close();
  return out;
}

/** The stanza lines for a package that was not read from a database. */
export function installedLines(
  record: PackageRecord,
  dirs: InstalledDir[],
): Array<[string, string]> {
  const text: string[] = [];
  recordLines(record, text);
  const lines = text.map((l): [string, string] => [l[0] as string, l.slice(2)]);
  for (const d of dirs) {
    if (d.path !== '' || d.acl !== undefined) lines.push(['F', d.path]);
    if (d.acl !== undefined) lines.push(['M', d.acl]);
    for (const f of d.files) {
      lines.push(['R', f.name]);
      if (f.acl !== undefined) lines.push(['a', f.acl]);
      if (f.checksum !== undefined) lines.push(['Z', f.checksum]);
    }
  }
  return lines;
}

/** Writes an installed database: each stanza followed by a blank line. */
export function formatInstalledDb(packages: readonly InstalledPackage[]): string {
  let out = '';
  for (const p of packages) {
    const lines = p.lines.length > 0 ? p.lines : installedLines(p.record, p.dirs);
    for (const [letter, value] of lines) out += `${letter}:${value}\n`;
    out += '\n';
  }
  return out;
}
