import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApkgraphError } from '../errors.js';
import { createKeyring, generateSigningKey, loadKeyring } from './keys.js';
import { checkSignatures, parseSignatureName, signBytes } from './signature.js';

const a = generateSigningKey('alpha');
const b = generateSigningKey('beta.rsa.pub');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apkgraph-keys-'));
  await writeFile(join(dir, a.name), a.publicKeyPem);
  await writeFile(join(dir, b.name), b.publicKeyPem);
  await writeFile(join(dir, 'README'), 'not a key');
  await writeFile(join(dir, 'broken.pem'), 'garbage');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadKeyring', () => {
  it('loads the *.rsa.pub files of a directory and single files', async () => {
    const ring = await loadKeyring([dir]);
    expect(ring.names).toEqual(['alpha.rsa.pub', 'beta.rsa.pub']);
    expect(ring.get('alpha')?.name).toBe('alpha.rsa.pub');
    expect(ring.get('beta.rsa.pub')?.path).toBe(join(dir, 'beta.rsa.pub'));
    expect(ring.get('gamma')).toBeUndefined();
    expect((await loadKeyring([join(dir, a.name)])).names).toEqual(['alpha.rsa.pub']);
  });

  it('fails with ERR_IO for a missing path', async () => {
    const err = await loadKeyring([join(dir, 'nope')]).catch((e: unknown) => e);
    expect((err as ApkgraphError).code).toBe('ERR_IO');
  });

  it('fails with ERR_SIGNATURE for a file that is not a public key', async () => {
    const err = await loadKeyring([join(dir, 'broken.pem')]).catch((e: unknown) => e);
    expect((err as ApkgraphError).code).toBe('ERR_SIGNATURE');
    expect((err as Error).message).toContain('broken.pem');
  });
});

describe('checkSignatures', () => {
  const ring = createKeyring([{ name: a.name, pem: a.publicKeyPem }]);
  const data = Buffer.from('the signed member');

  it('verifies RSA (SHA-1) and RSA256 (SHA-256) signatures', () => {
    for (const algorithm of ['RSA', 'RSA256'] as const) {
      const signature = signBytes(a, data, algorithm);
      expect(checkSignatures([{ algorithm, keyName: a.name, signature }], data, ring)).toEqual([
        { keyName: a.name, algorithm, verified: true, keyKnown: true },
      ]);
    }
  });

  it('fails a signature over other bytes, or made with the other hash', () => {
    const signature = signBytes(a, data, 'RSA');
    const [other] = checkSignatures(
      [{ algorithm: 'RSA', keyName: a.name, signature }],
      Buffer.from('x'),
      ring,
    );
    expect(other?.verified).toBe(false);
    const [wrongHash] = checkSignatures(
      [{ algorithm: 'RSA256', keyName: a.name, signature }],
      data,
      ring,
    );
    expect(wrongHash?.verified).toBe(false);
  });

  it('marks signers outside the keyring as unknown', () => {
    const signature = signBytes(b, data);
    expect(
      checkSignatures([{ algorithm: 'RSA256', keyName: b.name, signature }], data, ring)[0],
    ).toMatchObject({
      verified: false,
      keyKnown: false,
    });
  });
});

describe('parseSignatureName', () => {
  it('reads the algorithm and key name and skips other algorithms', () => {
    expect(parseSignatureName('.SIGN.RSA.k.rsa.pub')).toEqual({
      algorithm: 'RSA',
      keyName: 'k.rsa.pub',
    });
    expect(parseSignatureName('.SIGN.RSA256.k')).toEqual({ algorithm: 'RSA256', keyName: 'k' });
    expect(parseSignatureName('.SIGN.DSA.k')).toBeUndefined();
    expect(parseSignatureName('.PKGINFO')).toBeUndefined();
  });
});
