/**
 * Deterministic package payloads that compress roughly like real binaries.
 *
 * Real APK data members shrink about 2.5:1 under gzip: machine code and compressed assets barely
 * shrink, while symbol tables, strings and text shrink a lot. A payload here is a sequence of
 * blocks, each either keystream bytes (incompressible) or structured text lines (compress well),
 * picked by a seeded generator. The incompressible share sets the ratio; {@link RANDOM_SHARE} is
 * tuned so gzip level 6 lands near 2.5:1 (measured in content.test.ts).
 *
 * Keystream bytes come from AES-128-CTR over zeros, keyed by SHA-256 of the seed: fast (GB/s with
 * AES-NI), deterministic, and free of patterns deflate could exploit.
 */
import { createCipheriv, createHash, type Cipher } from 'node:crypto';

/** The share of payload bytes that are incompressible. */
export const RANDOM_SHARE = 0.32;

/** Block size of the mix; small enough for a fine mix, large enough to stay fast. */
const BLOCK = 4096;

const WORDS = [
  'alloc',
  'buffer',
  'config',
  'context',
  'debug',
  'error',
  'handler',
  'index',
  'init',
  'length',
  'lookup',
  'module',
  'object',
  'option',
  'parse',
  'path',
  'read',
  'reset',
  'resolve',
  'signal',
  'state',
  'stream',
  'string',
  'symbol',
  'table',
  'thread',
  'update',
  'value',
  'write',
  'version',
];

let corpus: Buffer | undefined;

/**
 * 24 KiB of lines that look like a symbol table. Text blocks are slices of it, so deflate finds
 * long matches in its 32 KiB window, as it does in real string tables and docs.
 */
function textCorpus(): Buffer {
  if (corpus) return corpus;
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < 24 * 1024; i++) {
    const a = WORDS[(i * 7) % WORDS.length]!;
    const b = WORDS[(i * 13 + 5) % WORDS.length]!;
    const line = `${a}_${b}\t0x${(i * 64).toString(16).padStart(8, '0')}\tGLIBC_2.${i % 40}\n`;
    lines.push(line);
    size += line.length;
  }
  corpus = Buffer.from(lines.join(''), 'latin1');
  return corpus;
}

/** A seeded stream of payload bytes; `next(n)` returns the next n bytes. */
export class PayloadGenerator {
  readonly #cipher: Cipher;
  readonly #zeros = Buffer.alloc(BLOCK);
  #choice: Buffer = Buffer.alloc(0);
  #choicePos = 0;
  #totalBytes = 0;
  #randomBytes = 0;
  #pending: Buffer = Buffer.alloc(0);

  constructor(seed: string) {
    const h = createHash('sha256').update(seed).digest();
    this.#cipher = createCipheriv('aes-128-ctr', h.subarray(0, 16), h.subarray(16, 32));
  }

  #keystream(n: number): Buffer {
    return this.#cipher.update(n === BLOCK ? this.#zeros : Buffer.alloc(n));
  }

  /** One byte from the keystream, used for the generator's own decisions. */
  #byte(): number {
    if (this.#choicePos >= this.#choice.length) {
      this.#choice = this.#keystream(256);
      this.#choicePos = 0;
    }
    return this.#choice[this.#choicePos++]!;
  }

  /** A block of text: a slice of the shared corpus at a seeded offset. */
  #textBlock(): Buffer {
    const corpus = textCorpus();
    const at = ((this.#byte() << 8) | this.#byte()) % (corpus.length - BLOCK);
    return corpus.subarray(at, at + BLOCK);
  }

  /** The next `n` bytes of the payload. */
  next(n: number): Buffer {
    const out: Buffer[] = [];
    let have = 0;
    if (this.#pending.length > 0) {
      const take = this.#pending.subarray(0, n);
      this.#pending = this.#pending.subarray(take.length);
      out.push(take);
      have += take.length;
    }
    while (have < n) {
      // Error diffusion rather than a coin toss: the incompressible share stays on target even
      // in a small package, and the seeded jitter keeps the pattern from being periodic.
      const jitter = (this.#byte() / 256) * BLOCK;
      const random = this.#randomBytes + jitter < RANDOM_SHARE * (this.#totalBytes + BLOCK);
      const block = random ? this.#keystream(BLOCK) : this.#textBlock();
      this.#totalBytes += BLOCK;
      if (random) this.#randomBytes += BLOCK;
      const need = n - have;
      if (block.length > need) {
        out.push(block.subarray(0, need));
        this.#pending = block.subarray(need);
        have = n;
      } else {
        out.push(block);
        have += block.length;
      }
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out, n);
  }
}
