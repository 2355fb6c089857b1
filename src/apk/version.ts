/**
 * APK version strings: validation and ordering, with apk-tools 2.14 semantics.
 *
 * Grammar: `digits{.digits}[letter]{_suffix[digits]}[-r digits]`, where a suffix is one of
 * `alpha beta pre rc` (pre-releases, sorting below no suffix) or `cvs svn git hg p`
 * (post-releases, sorting above). Versions are compared token by token; a token of a different
 * kind ends the comparison, and the version that goes on is greater unless what follows is a
 * pre-release suffix. This is apk-tools 2.14's tokenizer, quirks included, because locks must
 * pick what `apk add` picks:
 *
 * - a dotted component with leading zeros reads as minus (zeros - 1) followed by the number,
 *   so `1.05` < `1.5`, `1.00` < `1.0` and `0.002` < `0.01` (go-apk reads plain integers);
 * - the fuzzy match (`~`) stops at the end of the shorter version, so `~1.3` does not match
 *   `1.37.0` but `~1.37` does;
 * - a letter may be followed by digits (`1.2a3`), and a bare letter is a version (`a`).
 */
import { ApkgraphError } from '../errors.js';

/** Token kinds in apk-tools order; a shorter version ends on a higher kind. */
const enum Tok {
  Invalid = -1,
  DigitOrZero = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  RevisionNo = 5,
  End = 6,
}

// Pre-release suffixes get negative values so that they sort below "no suffix".
const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];
// apk-tools reads numbers into a 64-bit integer and refuses runs of 18 digits or more.
const MAX_DIGITS = 18;

/**
 * One step of the tokenizer: the value read and the kind of the token that follows. A version
 * is the list of steps from the start until the following kind is End or Invalid.
 */
interface Step {
  value: number;
  next: Tok;
}

/** A tokenised version; `valid` is false when apk-tools would reject it. */
export interface ParsedVersion {
  readonly text: string;
  readonly valid: boolean;
  readonly steps: readonly Step[];
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLower = (c: number): boolean => c >= 97 && c <= 122;

/** Works out the kind of the next token at `pos`; returns the kind and the new position. */
function nextKind(s: string, pos: number, kind: Tok): [Tok, number] {
  let next = Tok.Invalid;
  if (pos >= s.length) return [Tok.End, pos];
  const c = s.charCodeAt(pos);
  if ((kind === Tok.Digit || kind === Tok.DigitOrZero) && isLower(c)) {
    next = Tok.Letter;
  } else if (kind === Tok.Letter && isDigit(c)) {
    next = Tok.Digit;
  } else if (kind === Tok.Suffix && isDigit(c)) {
    next = Tok.SuffixNo;
  } else {
    if (c === 46 /* . */) next = Tok.DigitOrZero;
    else if (c === 95 /* _ */) next = Tok.Suffix;
    else if (c === 45 /* - */ && s.charCodeAt(pos + 1) === 114 /* r */) {
      next = Tok.RevisionNo;
      pos++;
    }
    pos++;
  }
  // Going back to an earlier kind is allowed only for `1.2`, `_p1_p2` and `1a2`.
  if (
    next < kind &&
    !(
      (next === Tok.DigitOrZero && kind === Tok.Digit) ||
      (next === Tok.Suffix && kind === Tok.SuffixNo) ||
      (next === Tok.Digit && kind === Tok.Letter)
    )
  ) {
    next = Tok.Invalid;
  }
  return [next, pos];
}

function suffixValue(s: string, pos: number): [value: number, length: number] | undefined {
  for (let i = 0; i < PRE_SUFFIXES.length; i++) {
    const word = PRE_SUFFIXES[i] ?? '';
    if (s.startsWith(word, pos)) return [i - PRE_SUFFIXES.length, word.length];
  }
  for (let i = 0; i < POST_SUFFIXES.length; i++) {
    const word = POST_SUFFIXES[i] ?? '';
    if (s.startsWith(word, pos)) return [i, word.length];
  }
  return undefined;
}

function tokenize(s: string): Step[] {
  const steps: Step[] = [];
  let kind: Tok = Tok.Digit;
  let pos = 0;
  while (kind !== Tok.End && kind !== Tok.Invalid) {
    if (pos >= s.length) {
      steps.push({ value: 0, next: Tok.End });
      break;
    }
    let value = 0;
    let len = 0;
    let forced = Tok.Invalid;
    let ok = true;
    if (kind === Tok.DigitOrZero && s.charCodeAt(pos) === 48) {
      // A component with leading zeros yields minus (zeros - 1) and leaves the rest as a
      // plain number, so `1.05` < `1.5` and `1.00` < `1.0`.
      while (pos + len + 1 < s.length && s.charCodeAt(pos + len + 1) === 48) len++;
      value = -len;
      forced = Tok.Digit;
    } else if (
      kind === Tok.DigitOrZero ||
      kind === Tok.Digit ||
      kind === Tok.SuffixNo ||
      kind === Tok.RevisionNo
    ) {
      while (pos + len < s.length && isDigit(s.charCodeAt(pos + len))) {
        value = value * 10 + (s.charCodeAt(pos + len) - 48);
        len++;
      }
      ok = len < MAX_DIGITS;
    } else if (kind === Tok.Letter) {
      value = s.charCodeAt(pos);
      len = 1;
    } else if (kind === Tok.Suffix) {
      const suffix = suffixValue(s, pos);
      if (suffix) [value, len] = suffix;
      else ok = false;
    } else {
      ok = false;
    }
    if (!ok) {
      steps.push({ value: -1, next: Tok.Invalid });
      break;
    }
    pos += len;
    if (pos >= s.length) kind = Tok.End;
    else if (forced !== Tok.Invalid) kind = forced;
    else [kind, pos] = nextKind(s, pos, kind);
    steps.push({ value, next: kind });
  }
  return steps;
}

// Versions repeat a great deal across an index (every dependency names one), so the steps
// of each distinct string are kept. The cache is bounded to stay cheap in long-lived processes.
const CACHE_MAX = 200_000;
const cache = new Map<string, ParsedVersion>();

function tokensOf(text: string): ParsedVersion {
  let parsed = cache.get(text);
  if (parsed === undefined) {
    const steps = tokenize(text);
    // apk-tools also accepts the empty string; apkgraph does not, since no package has it.
    const valid = text !== '' && steps[steps.length - 1]?.next === Tok.End;
    parsed = { text, steps, valid };
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(text, parsed);
  }
  return parsed;
}

/** True when `text` is a version apk-tools accepts. */
export function isValidVersion(text: string): boolean {
  return tokensOf(text).valid;
}

/** Tokenises a version; throws ERR_VERSION when apk-tools would reject it. */
export function parseVersion(text: string): ParsedVersion {
  const parsed = tokensOf(text);
  if (!parsed.valid) {
    throw new ApkgraphError('ERR_VERSION', `invalid version "${text}"`, {
      hint: 'APK versions look like 1.2.3, 1.2.3a, 1.2.3_rc1 or 1.2.3_p2-r0',
    });
  }
  return parsed;
}

/**
 * The apk-tools comparison of two tokenised versions. With `fuzzy`, the versions count as equal
 * as soon as one of them runs out of tokens while all tokens so far were equal.
 */
function compareParsed(a: ParsedVersion, b: ParsedVersion, fuzzy: boolean): -1 | 0 | 1 {
  let at: Tok = Tok.Digit;
  let bt: Tok = Tok.Digit;
  let av = 0;
  let bv = 0;
  let i = 0;
  while (at === bt && at !== Tok.End && at !== Tok.Invalid && av === bv) {
    const sa = a.steps[i];
    const sb = b.steps[i];
    av = sa?.value ?? 0;
    at = sa?.next ?? Tok.End;
    bv = sb?.value ?? 0;
    bt = sb?.next ?? Tok.End;
    i++;
  }
  if (av < bv) return -1;
  if (av > bv) return 1;
  if (at === bt || fuzzy) return 0;
  // The longer version is greater, unless it goes on with a pre-release suffix.
  if (at === Tok.Suffix && (a.steps[i]?.value ?? -1) < 0) return -1;
  if (bt === Tok.Suffix && (b.steps[i]?.value ?? -1) < 0) return 1;
  if (at > bt) return -1;
  if (bt > at) return 1;
  return 0;
}

/**
 * Orders two APK versions the way apk-tools does: -1 when `a` is older, 1 when newer.
 * Throws ERR_VERSION when either is invalid.
 */
export function compareVersions(a: string, b: string): -1 | 0 | 1 {
  if (a === b) {
    parseVersion(a);
    return 0;
  }
  return compareParsed(parseVersion(a), parseVersion(b), false);
}

/**
 * The fuzzy equality of `~`: true when the two versions agree token by token for as long as
 * both go (`1.22` matches `1.22.5-r0`; `1.2` does not match `1.22`). As in apk-tools 2.14, this
 * is symmetric: `~1.22.5` also matches `1.22-r0`.
 */
export function fuzzyMatches(version: string, constraintVersion: string): boolean {
  return compareParsed(parseVersion(version), parseVersion(constraintVersion), true) === 0;
}

/** `compareVersions` with the fuzzy rule, for operators that combine `<`/`>` with `~`. */
export function compareVersionsFuzzy(version: string, constraintVersion: string): -1 | 0 | 1 {
  return compareParsed(parseVersion(version), parseVersion(constraintVersion), true);
}

/**
 * The same comparison without validation. apk-tools compares whatever an index holds, even a
 * malformed version, and the resolver must pick what it picks; everything else should use
 * {@link compareVersions}.
 */
export function compareVersionsUnchecked(a: string, b: string, fuzzy = false): -1 | 0 | 1 {
  if (a === b) return 0;
  return compareParsed(tokensOf(a), tokensOf(b), fuzzy);
}
