/**
 * APK dependency constraints: `[!]name[@pin][op version]`, as written in world files, in `D:`
 * and `i:` lines of an index, and in apko's `contents.packages`.
 *
 * The operator is a set of outcomes (less, equal, greater) plus a fuzzy flag, the way apk-tools
 * reads it: `<=` is less-or-equal, `~` is fuzzy-equal, `>~` greater-or-fuzzy-equal. `><` is
 * apk 2.x's checksum operator (`name><Q1…`), not "not equal". apko writes the pin after the
 * version (`name=1.2-r0@edge`); apk-tools writes it after the name (`name@edge=1.2-r0`); both
 * are accepted.
 */
import { ApkgraphError } from '../errors.js';
import {
  compareVersions,
  compareVersionsFuzzy,
  compareVersionsUnchecked,
  isValidVersion,
} from './version.js';

/** The canonical spelling of each operator apk-tools accepts; `any` means no version. */
export type ConstraintOp = 'any' | '=' | '<' | '>' | '<=' | '>=' | '~' | '>~' | '<~' | '><';

/** One parsed constraint. */
export interface Constraint {
  /** The name, a package name or a provided name (`so:libz.so.1`, `cmd:sh`, a virtual). */
  name: string;
  op: ConstraintOp;
  /** The version (or, for `><`, the checksum); absent when `op` is `any`. */
  version?: string;
  /** The repository tag after `@`, if any. */
  pin?: string;
  /**
   * True for `!name`: nothing that has or provides `name` (in that version range) may be
   * installed.
   */
  conflict: boolean;
}

const LESS = 1;
const EQUAL = 2;
const GREATER = 4;
const FUZZY = 8;

const OP_BY_MASK: ReadonlyMap<number, ConstraintOp> = new Map([
  [EQUAL, '='],
  [LESS, '<'],
  [GREATER, '>'],
  [LESS | EQUAL, '<='],
  [GREATER | EQUAL, '>='],
  [EQUAL | FUZZY, '~'],
  [GREATER | EQUAL | FUZZY, '>~'],
  [LESS | EQUAL | FUZZY, '<~'],
  [LESS | GREATER, '><'],
]);

const MASK_BY_OP: ReadonlyMap<ConstraintOp, number> = new Map(
  [...OP_BY_MASK].map(([mask, op]) => [op, mask]),
);

function operatorMask(op: string): number {
  let mask = 0;
  for (const c of op) {
    if (c === '<') mask |= LESS;
    else if (c === '>') mask |= GREATER;
    else if (c === '=') mask |= EQUAL;
    else if (c === '~') mask |= EQUAL | FUZZY;
  }
  return mask;
}

function constraintError(text: string, why: string): ApkgraphError {
  return new ApkgraphError('ERR_CONSTRAINT', `invalid package constraint "${text}": ${why}`, {
    package: text,
    hint: 'write name, name=1.2.3-r0, name>=1.2, name~1.2, !name or name@tag',
  });
}

/** Parses a constraint; throws ERR_CONSTRAINT on anything apk-tools would reject. */
export function parseConstraint(text: string): Constraint {
  let rest = text.trim();
  const conflict = rest.startsWith('!');
  if (conflict) rest = rest.slice(1);

  const opStart = rest.search(/[<>=~]/);
  let namePart = opStart < 0 ? rest : rest.slice(0, opStart);
  let pin: string | undefined;
  const at = namePart.indexOf('@');
  if (at >= 0) {
    pin = namePart.slice(at + 1);
    namePart = namePart.slice(0, at);
  }
  if (namePart === '' || /\s/.test(namePart)) throw constraintError(text, 'missing or bad name');
  if (pin !== undefined && pin === '') throw constraintError(text, 'empty repository tag');
  if (opStart < 0) return { name: namePart, op: 'any', conflict, ...(pin ? { pin } : {}) };

  const tail = rest.slice(opStart);
  const opLen = tail.search(/[^<>=~]/);
  const opText = opLen < 0 ? tail : tail.slice(0, opLen);
  let version = opLen < 0 ? '' : tail.slice(opLen);
  const verAt = version.indexOf('@');
  if (verAt >= 0) {
    if (pin !== undefined) throw constraintError(text, 'two repository tags');
    pin = version.slice(verAt + 1);
    version = version.slice(0, verAt);
    if (pin === '') throw constraintError(text, 'empty repository tag');
  }
  const op = OP_BY_MASK.get(operatorMask(opText));
  if (op === undefined) throw constraintError(text, `unknown operator "${opText}"`);
  if (version === '') throw constraintError(text, `no version after "${opText}"`);
  if (op !== '><' && !isValidVersion(version)) {
    throw constraintError(text, `"${version}" is not a valid version`);
  }
  return { name: namePart, op, version, conflict, ...(pin ? { pin } : {}) };
}

/** Parses a constraint, returning undefined instead of throwing (for index data). */
export function tryParseConstraint(text: string): Constraint | undefined {
  try {
    return parseConstraint(text);
  } catch {
    return undefined;
  }
}

/**
 * True when a package (or provide) at `version` satisfies `c`'s version part; the name is not
 * checked. `><` compares `checksum` (the package's `C:`), when given. An invalid `version`
 * satisfies only `any`.
 */
export function satisfiesConstraint(
  version: string | undefined,
  c: Pick<Constraint, 'op' | 'version'>,
  checksum?: string,
): boolean {
  if (c.op === 'any') return true;
  if (c.op === '><') return checksum !== undefined && checksum === c.version;
  if (version === undefined || c.version === undefined || !isValidVersion(version)) return false;
  const mask = MASK_BY_OP.get(c.op) ?? 0;
  const r =
    mask & FUZZY ? compareVersionsFuzzy(version, c.version) : compareVersions(version, c.version);
  const outcome = r < 0 ? LESS : r > 0 ? GREATER : EQUAL;
  return (mask & outcome) !== 0;
}

/**
 * apk-tools' version test for a resolver: does a provider at `version` fall inside the
 * operator's outcomes? Unlike {@link satisfiesConstraint} it neither validates nor handles
 * `any`, `><` or conflicts; the caller does.
 */
export function versionInRange(
  version: string,
  op: ConstraintOp,
  constraintVersion: string,
): boolean {
  const mask = MASK_BY_OP.get(op) ?? 0;
  const r = compareVersionsUnchecked(version, constraintVersion, (mask & FUZZY) !== 0);
  return (mask & (r < 0 ? LESS : r > 0 ? GREATER : EQUAL)) !== 0;
}

/** Writes a constraint back in apk-tools order: `!name@pin>=1.2`. */
export function formatConstraint(c: Constraint): string {
  const pin = c.pin ? `@${c.pin}` : '';
  const ver = c.op === 'any' ? '' : `${c.op}${c.version ?? ''}`;
  return `${c.conflict ? '!' : ''}${c.name}${pin}${ver}`;
}

/** One `p:` entry: a provided name and, for versioned provides, its version. */
export interface Provide {
  name: string;
  version?: string;
}

/** Parses a `p:` entry (`so:libz.so.1=1.3.1`, `cmd:sh=1.37.0-r19`, `virtual`). */
export function parseProvide(text: string): Provide {
  const eq = text.indexOf('=');
  if (eq < 0) return { name: text };
  return { name: text.slice(0, eq), version: text.slice(eq + 1) };
}
