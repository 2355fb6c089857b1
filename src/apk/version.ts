/**
 * APK version strings: validation and ordering, with apk-tools 2.14 semantics.
 *
 * Grammar: `digits{.digits}[letter]{_suffix[digits]}[-r digits]`, where a suffix is one of
 * `alpha beta pre rc` (pre-releases, sorting below no suffix) or `cvs svn git hg p`
 * (post-releases, sorting above). Versions are compared token by token; a token of a different
 * kind ends the comparison, and the version that goes on is greater unless what follows is a
 * pre-release suffix. Two rules differ from a plain numeric comparison and from go-apk:
 *
 * - a dotted component with a leading zero on either side (`1.01` vs `1.1`) is compared as a
 *   string, the way Gentoo does;
 * - the fuzzy match (`~`) accepts any version that the constraint is a token-wise prefix of, so
 *   `~1.3` does not match `1.37.0` but `~1.37` does.
 */
import { ApkgraphError } from '../errors.js';

/** Token kinds in apk-tools order; the order matters when one version ends before the other. */
const enum Tok {
  InitialDigit = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  RevisionNo = 5,
  End = 6,
  Invalid = 7,
}

/** Suffix ranks: pre-releases below `None`, post-releases above it. */
const SUFFIX_RANK: ReadonlyMap<string, number> = new Map([
  ['', 5],
  ['alpha', 1],
  ['beta', 2],
  ['pre', 3],
  ['rc', 4],
  ['cvs', 6],
  ['svn', 7],
  ['git', 8],
  ['hg', 9],
  ['p', 10],
]);
const SUFFIX_NONE = 5;

interface Token {
  kind: Tok;
  /** The token's text: digits, a letter, or a suffix word. */
  text: string;
  /** Numeric value for digit tokens, rank for suffixes, char code for letters. */
  value: number;
}

/** A tokenised version; `valid` is false when the last token is {@link Tok.Invalid}. */
export interface ParsedVersion {
  readonly text: string;
  readonly valid: boolean;
  /** The tokens, ending with an End or Invalid token. */
  readonly tokens: readonly Token[];
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLower = (c: number): boolean => c >= 97 && c <= 122;

function spanWhile(s: string, from: number, pred: (c: number) => boolean): number {
  let i = from;
  while (i < s.length && pred(s.charCodeAt(i))) i++;
  return i;
}

function digitToken(kind: Tok, text: string): Token {
  // Digit runs in real versions fit easily; very long ones (dates with times) still fit a
  // double exactly up to 2^53, which is more than apk-tools' uint64 needs in practice.
  return { kind, text, value: text.length === 0 ? 0 : Number(text) };
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = spanWhile(text, 0, isDigit);
  if (i === 0) return [{ kind: Tok.Invalid, text: '', value: 0 }];
  tokens.push(digitToken(Tok.InitialDigit, text.slice(0, i)));
  let prev: Tok = Tok.InitialDigit;

  for (;;) {
    if (i >= text.length) {
      tokens.push({ kind: Tok.End, text: '', value: 0 });
      return tokens;
    }
    const c = text.charCodeAt(i);
    let next: Token | undefined;
    if (isLower(c)) {
      if (prev <= Tok.Digit) next = { kind: Tok.Letter, text: text[i] ?? '', value: c };
      i++;
    } else if (c === 46 /* . */ || isDigit(c)) {
      // A dot introduces a number; digits right after a suffix are its number.
      const dotted = c === 46;
      if (dotted && prev > Tok.Digit) {
        next = undefined;
      } else {
        const start = dotted ? i + 1 : i;
        const end = spanWhile(text, start, isDigit);
        const digits = text.slice(start, end);
        i = end;
        if (prev === Tok.Suffix) next = digitToken(Tok.SuffixNo, digits);
        else if (prev <= Tok.Digit) next = digitToken(Tok.Digit, digits);
      }
    } else if (c === 95 /* _ */) {
      if (prev <= Tok.SuffixNo) {
        const end = spanWhile(text, i + 1, isLower);
        const word = text.slice(i + 1, end);
        const rank = SUFFIX_RANK.get(word);
        i = end;
        if (rank !== undefined) next = { kind: Tok.Suffix, text: word, value: rank };
      }
    } else if (c === 45 /* - */) {
      if (prev < Tok.RevisionNo && text.charCodeAt(i + 1) === 114 /* r */) {
        const end = spanWhile(text, i + 2, isDigit);
        next = digitToken(Tok.RevisionNo, text.slice(i + 2, end));
        i = end;
      }
    }
    if (next === undefined) {
      tokens.push({ kind: Tok.Invalid, text: '', value: 0 });
      return tokens;
    }
    tokens.push(next);
    prev = next.kind;
  }
}

// Versions repeat a great deal across an index (every dependency names one), so the tokens
// of each distinct string are kept. The cache is bounded to stay cheap in long-lived processes.
const CACHE_MAX = 200_000;
const cache = new Map<string, ParsedVersion>();

function tokensOf(text: string): ParsedVersion {
  let parsed = cache.get(text);
  if (parsed === undefined) {
    const tokens = tokenize(text);
    parsed = { text, tokens, valid: tokens[tokens.length - 1]?.kind === Tok.End };
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

function compareStrings(a: string, b: string): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareToken(a: Token, b: Token): -1 | 0 | 1 {
  if (a.kind === Tok.Digit && (a.text.startsWith('0') || b.text.startsWith('0'))) {
    return compareStrings(a.text, b.text);
  }
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/**
 * The apk-tools comparison of two tokenised versions. With `fuzzy`, `b` is a constraint and
 * `a` counts as equal when `b`'s tokens are a prefix of `a`'s.
 */
function compareParsed(a: ParsedVersion, b: ParsedVersion, fuzzy: boolean): -1 | 0 | 1 {
  const at = a.tokens;
  const bt = b.tokens;
  let i = 0;
  let ta = at[0];
  let tb = bt[0];
  while (ta && tb && ta.kind === tb.kind && ta.kind < Tok.End) {
    const r = compareToken(ta, tb);
    if (r !== 0) return r;
    i++;
    ta = at[i];
    tb = bt[i];
  }
  const ka = ta?.kind ?? Tok.End;
  const kb = tb?.kind ?? Tok.End;
  if (ka === kb) return 0;
  if (fuzzy && kb === Tok.End) return 0;
  // The longer version is greater, unless it goes on with a pre-release suffix.
  if (ka === Tok.Suffix && (ta?.value ?? SUFFIX_NONE) < SUFFIX_NONE) return -1;
  if (kb === Tok.Suffix && (tb?.value ?? SUFFIX_NONE) < SUFFIX_NONE) return 1;
  return ka > kb ? -1 : 1;
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
 * The fuzzy equality of `~`: true when `constraintVersion` matches `version` token by token
 * for as long as it goes (`1.22` matches `1.22.5-r0`, `1.2` does not match `1.22`).
 */
export function fuzzyMatches(version: string, constraintVersion: string): boolean {
  return compareParsed(parseVersion(version), parseVersion(constraintVersion), true) === 0;
}

/** `compareVersions` with the fuzzy rule, for operators that combine `<`/`>` with `~`. */
export function compareVersionsFuzzy(version: string, constraintVersion: string): -1 | 0 | 1 {
  return compareParsed(parseVersion(version), parseVersion(constraintVersion), true);
}
