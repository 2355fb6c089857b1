/**
 * The hash spellings apk uses. An APKINDEX `C:` and an installed-db `Z:` are `Q1` followed by
 * the base64 of a SHA-1 digest; `.PKGINFO`'s `datahash` and the data tar's PAX
 * `APK-TOOLS.checksum.SHA1` are hex.
 */
import { createHash } from 'node:crypto';

/** `Q1` + base64 of a SHA-1 digest (20 bytes). */
export function sha1ToQ1(digest: Uint8Array): string {
  return `Q1${Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('base64')}`;
}

/** The raw digest of a `Q1…` checksum, or undefined if it is not one (e.g. an old MD5 form). */
export function q1ToDigest(q1: string): Buffer | undefined {
  if (!q1.startsWith('Q1')) return undefined;
  const digest = Buffer.from(q1.slice(2), 'base64');
  return digest.length === 20 ? digest : undefined;
}

/** The hex SHA-1 of a `Q1…` checksum (the go-apk cache names control files by it). */
export function q1ToHex(q1: string): string | undefined {
  return q1ToDigest(q1)?.toString('hex');
}

/** The `Q1…` spelling of a hex SHA-1. */
export function hexToQ1(hex: string): string {
  return sha1ToQ1(Buffer.from(hex, 'hex'));
}

/** SHA-1 of `data`, as raw bytes. */
export function sha1(data: Uint8Array): Buffer {
  return createHash('sha1').update(data).digest();
}

/** SHA-256 of `data`, as hex. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
