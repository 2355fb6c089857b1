/**
 * APK signatures: RSA PKCS#1 v1.5 over the raw bytes of the gzip member that follows the
 * signature member (an APKINDEX's index member, an .apk's control member). `.SIGN.RSA.` uses
 * SHA-1, `.SIGN.RSA256.` SHA-256. DSA and RSA512 signatures are recognised and skipped.
 */
import { createPrivateKey, sign, verify } from 'node:crypto';
import type { Keyring, SigningKey } from './keys.js';

/** The algorithms apkgraph verifies. */
export type SignatureAlgorithm = 'RSA' | 'RSA256';

/** A signature member: `.SIGN.<algorithm>.<keyName>`. */
export interface SignatureEntry {
  algorithm: SignatureAlgorithm;
  keyName: string;
  signature: Buffer;
}

/** A signature and what checking it against a keyring found. */
export interface SignatureCheck {
  keyName: string;
  algorithm: SignatureAlgorithm;
  /** The keyring had the key and the signature verified. */
  verified: boolean;
  /** The keyring had the key (a false `verified` then means a bad signature). */
  keyKnown: boolean;
}

/** Parses a signature member name; undefined for other names and unsupported algorithms. */
export function parseSignatureName(
  name: string,
): { algorithm: SignatureAlgorithm; keyName: string } | undefined {
  if (name.startsWith('.SIGN.RSA256.')) {
    return { algorithm: 'RSA256', keyName: name.slice('.SIGN.RSA256.'.length) };
  }
  if (name.startsWith('.SIGN.RSA.')) {
    return { algorithm: 'RSA', keyName: name.slice('.SIGN.RSA.'.length) };
  }
  return undefined;
}

/** The member name a signature by `keyName` gets. */
export function signatureName(keyName: string, algorithm: SignatureAlgorithm): string {
  return `.SIGN.${algorithm}.${keyName}`;
}

function hashName(algorithm: SignatureAlgorithm): string {
  return algorithm === 'RSA256' ? 'sha256' : 'sha1';
}

/** Checks each signature over `signed` with the keyring's key of that name. */
export function checkSignatures(
  entries: SignatureEntry[],
  signed: Uint8Array,
  keyring: Keyring,
): SignatureCheck[] {
  return entries.map((e) => {
    const key = keyring.get(e.keyName);
    if (!key)
      return { keyName: e.keyName, algorithm: e.algorithm, verified: false, keyKnown: false };
    let ok = false;
    try {
      ok = verify(hashName(e.algorithm), signed, key.publicKey, e.signature);
    } catch {
      ok = false;
    }
    return { keyName: e.keyName, algorithm: e.algorithm, verified: ok, keyKnown: true };
  });
}

/** Signs `bytes` with `key` (PKCS#1 v1.5; SHA-1 for `RSA`, SHA-256 for `RSA256`). */
export function signBytes(
  key: SigningKey,
  bytes: Uint8Array,
  algorithm: SignatureAlgorithm = 'RSA256',
): Buffer {
  return sign(hashName(algorithm), bytes, createPrivateKey(key.privateKeyPem));
}
