/**
 * The key a synthetic mirror is signed with.
 *
 * A mirror must be signed so runs against it exercise the whole trust chain. With no key given,
 * one is generated once and its private half kept in the mirror folder, so regenerating the
 * mirror reuses it and gives byte-identical output. It is a throwaway key for local benchmarks,
 * never one to trust for anything else.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { chmod, mkdir, readFile, rename } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { generateSigningKey, type SigningKey } from '../apk/keys.js';
import { ApkgraphError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';

/** The name of the key generated for a mirror when none is given. */
export const DEFAULT_SYNTH_KEY_NAME = 'apkgraph-synth.rsa.pub';

/** `foo.rsa` → `foo.rsa.pub`; any other file name gets `.rsa.pub` appended. */
export function publicKeyNameFor(privateKeyPath: string): string {
  const base = basename(privateKeyPath);
  return base.endsWith('.rsa') ? `${base}.pub` : `${base}.rsa.pub`;
}

/** Reads a PEM private key (PKCS#1 or PKCS#8) and derives its public half. */
export async function readSigningKey(privateKeyPath: string): Promise<SigningKey> {
  let pem: string;
  try {
    pem = await readFile(privateKeyPath, 'utf8');
  } catch (err) {
    throw new ApkgraphError('ERR_IO', `cannot read signing key ${privateKeyPath}`, {
      path: privateKeyPath,
      hint: 'pass a PEM RSA private key, e.g. one written by a previous "repo synth"',
      cause: err,
    });
  }
  try {
    const key = createPrivateKey(pem);
    const publicKeyPem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
    return { name: publicKeyNameFor(privateKeyPath), privateKeyPem: pem, publicKeyPem };
  } catch (err) {
    throw new ApkgraphError('ERR_SIGNATURE', `${privateKeyPath} is not a PEM RSA private key`, {
      path: privateKeyPath,
      hint: 'pass the private half (e.g. name.rsa), not the .rsa.pub file',
      cause: err,
    });
  }
}

/**
 * Where a generated synth key is kept: `<outDir>/.keys/apkgraph-synth.rsa`. The dot folder is
 * outside what the repository server serves (it refuses dot-paths), so serving the repository
 * never hands out the private key.
 */
export function synthPrivateKeyPath(outDir: string): string {
  return join(outDir, '.keys', DEFAULT_SYNTH_KEY_NAME.replace(/\.pub$/, ''));
}

const exists = (path: string): Promise<boolean> =>
  readFile(path).then(
    () => true,
    () => false,
  );

/**
 * The mirror's signing key: `keyPath` when given, else the key kept under `outDir/.keys/` from
 * an earlier run, else a new one written there. A key an older version kept at the top of
 * `outDir` is moved there, so its repositories stay signed by the same key. The public key is
 * always written to `outDir/<name>`.
 */
export async function mirrorSigningKey(outDir: string, keyPath?: string): Promise<SigningKey> {
  let key: SigningKey;
  if (keyPath !== undefined) {
    key = await readSigningKey(keyPath);
  } else {
    const kept = synthPrivateKeyPath(outDir);
    const legacy = join(outDir, basename(kept));
    await mkdir(join(outDir, '.keys'), { recursive: true, mode: 0o700 });
    if (!(await exists(kept)) && (await exists(legacy))) await rename(legacy, kept);
    if (await exists(kept)) {
      key = await readSigningKey(kept);
    } else {
      key = generateSigningKey(DEFAULT_SYNTH_KEY_NAME);
      await writeFileAtomic(kept, key.privateKeyPem);
      await chmod(kept, 0o600);
    }
  }
  await writeFileAtomic(join(outDir, key.name), key.publicKeyPem);
  return key;
}
