/**
 * Keyrings of APK signing keys. A key's name is its file name
 * (`alpine-devel@…-6165ee59.rsa.pub`), which is what a `.SIGN.RSA.<name>` member in a signed
 * file refers to.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ApkgraphError } from '../errors.js';

/** One public key of a keyring. */
export interface KeyringKey {
  /** The file name, usually ending in `.rsa.pub`. */
  name: string;
  publicKey: KeyObject;
  /** The PEM text, as read. */
  pem: string;
  /** Where it was loaded from, if from disk. */
  path?: string;
}

/** A set of trusted keys, looked up by the name a signature gives. */
export interface Keyring {
  /** The key a `.SIGN.*.<name>` member refers to; `name` may lack the `.rsa.pub` suffix. */
  get(name: string): KeyringKey | undefined;
  /** Every key name, sorted. */
  readonly names: string[];
  readonly keys: KeyringKey[];
}

const SUFFIX = '.rsa.pub';

/** Builds a keyring from PEM texts (e.g. keys inlined in a lock file). */
export function createKeyring(
  entries: Array<{ name: string; pem: string; path?: string }>,
): Keyring {
  const byName = new Map<string, KeyringKey>();
  for (const e of entries) {
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(e.pem);
    } catch (err) {
      throw new ApkgraphError('ERR_SIGNATURE', `cannot read public key ${e.name}`, {
        ...(e.path === undefined ? {} : { path: e.path }),
        hint: 'a keyring file must hold one PEM "PUBLIC KEY"',
        cause: err,
      });
    }
    byName.set(e.name, {
      name: e.name,
      publicKey,
      pem: e.pem,
      ...(e.path ? { path: e.path } : {}),
    });
  }
  const keys = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    get(name) {
      // Proxies and mirrors sometimes name the signer without the `.rsa.pub` suffix.
      return (
        byName.get(name) ??
        byName.get(name + SUFFIX) ??
        (name.endsWith(SUFFIX) ? byName.get(name.slice(0, -SUFFIX.length)) : undefined)
      );
    },
    names: keys.map((k) => k.name),
    keys,
  };
}

/**
 * Loads the keys at `paths`: each path is a key file, or a directory whose `*.rsa.pub` files
 * are all loaded (other files there are ignored).
 */
export async function loadKeyring(paths: string[]): Promise<Keyring> {
  const files: string[] = [];
  for (const p of paths) {
    const st = await stat(p).catch((err: unknown) => {
      throw new ApkgraphError('ERR_IO', `cannot read keyring path ${p}`, {
        path: p,
        hint: 'pass a key file or a directory of *.rsa.pub files',
        cause: err,
      });
    });
    if (st.isDirectory()) {
      const names = (await readdir(p)).filter((n) => n.endsWith(SUFFIX)).sort();
      files.push(...names.map((n) => join(p, n)));
    } else {
      files.push(p);
    }
  }
  const entries = await Promise.all(
    files.map(async (path) => ({ name: basename(path), pem: await readFile(path, 'utf8'), path })),
  );
  return createKeyring(entries);
}

/** A private signing key and its public half. */
export interface SigningKey {
  /** The name signatures carry, ending in `.rsa.pub`. */
  name: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

/** Makes a fresh RSA signing key (2048 bits unless told), for tests and local repositories. */
export function generateSigningKey(name: string, bits = 2048): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    name: name.endsWith(SUFFIX) ? name : name + SUFFIX,
    privateKeyPem: privateKey,
    publicKeyPem: publicKey,
  };
}
