/**
 * The APK format readers against real public files: every Alpine index in the data set, the
 * Wolfi and Chainguard indexes (one signed three times with RSA256), real signed and unsigned
 * packages, two tampered ones, and installed databases from real images.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, expect, it } from 'vitest';
import { inspectApkFile, verifyApkFile } from '../src/apk/apk-verify.js';
import { formatIndexText, parseIndexText } from '../src/apk/apkindex.js';
import { readApkIndexFile } from '../src/apk/apkindex-file.js';
import { formatInstalledDb, parseInstalledDb } from '../src/apk/installed-db.js';
import { loadKeyring, type Keyring } from '../src/apk/keys.js';
import { parseTar } from '../src/tar/tar-decoder.js';
import type { ApkgraphError } from '../src/errors.js';
import { describeRealdata, realdata } from './realdata.js';

interface ManifestEntry {
  file: string;
  packages?: number;
  description?: string;
  signatures?: Array<{ key: string; verified: boolean }>;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'no error',
    (err: unknown) => (err as ApkgraphError).code,
  );
}

describeRealdata('APK formats on real data', () => {
  let manifest: ManifestEntry[];
  let allKeys: Keyring;
  let alpineKeys: Keyring;

  beforeAll(async () => {
    manifest = JSON.parse(readFileSync(realdata('MANIFEST.json'), 'utf8')) as ManifestEntry[];
    alpineKeys = await loadKeyring([realdata('keys', 'alpine')]);
    allKeys = await loadKeyring([
      realdata('keys', 'alpine'),
      realdata('keys', 'wolfi'),
      realdata('keys', 'chainguard'),
      realdata('keys', 'test', 'apko-internal-cli'),
      realdata('keys', 'test', 'apko-rsa256'),
    ]);
  });

  it('parses all 21 Alpine indexes to the MANIFEST counts and verifies them', async () => {
    const files = readdirSync(realdata('apkindex', 'alpine')).sort();
    expect(files).toHaveLength(21);
    for (const f of files) {
      const entry = manifest.find((m) => m.file === `apkindex/alpine/${f}`);
      const index = await readApkIndexFile(realdata('apkindex', 'alpine', f), {
        keyring: alpineKeys,
      });
      expect(index.packages.length, f).toBe(entry?.packages);
      expect(index.description, f).toBe(entry?.description);
      expect(index.verifiedBy, f).toBe(entry?.signatures?.[0]?.key);
    }
  });

  it('writes the v3.22 index text back byte for byte', () => {
    const path = realdata('apkindex', 'alpine', 'alpine-v3.22-main-x86_64.APKINDEX.tar.gz');
    const bytes = readFileSync(path);
    // The index member follows the signature member; gunzip reads both, the tar walk skips the first.
    const entries = parseTar(gunzipSync(bytes), path);
    const text = entries.find((e) => e.name === 'APKINDEX')?.data.toString('utf8') ?? '';
    expect(text.length).toBeGreaterThan(1_000_000);
    expect(formatIndexText(parseIndexText(text))).toBe(text);
  });

  it('refuses an Alpine index when the keyring lacks its key', async () => {
    const wolfiKeys = await loadKeyring([realdata('keys', 'wolfi')]);
    const path = realdata('apkindex', 'alpine', 'alpine-v3.22-main-x86_64.APKINDEX.tar.gz');
    const err = await readApkIndexFile(path, { keyring: wolfiKeys }).catch((e: unknown) => e);
    expect((err as ApkgraphError).code).toBe('ERR_UNTRUSTED');
    expect((err as Error).message).toContain('alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub');
    expect((err as ApkgraphError).subject.path).toBe(path);
  });

  it('reports the truncated index as truncated, naming the file', async () => {
    const path = realdata(
      'apkindex',
      'broken',
      'alpine-v3.6-main-x86_64.TRUNCATED.APKINDEX.tar.gz',
    );
    const err = await readApkIndexFile(path, { keyring: alpineKeys }).catch((e: unknown) => e);
    expect((err as ApkgraphError).code).toBe('ERR_INDEX_TRUNCATED');
    expect((err as Error).message).toContain(basename(path));
    expect((err as Error).message).toContain('truncated');
  });

  it('verifies the Wolfi and test indexes, including three RSA256 signatures', async () => {
    const wolfi = await readApkIndexFile(
      realdata('apkindex', 'wolfi', 'wolfi-os-x86_64-subset47.wolfictl-dag.APKINDEX.tar.gz'),
      { keyring: allKeys },
    );
    expect(wolfi.packages).toHaveLength(47);
    expect(wolfi.verifiedBy).toBe('wolfi-signing.rsa.pub');

    const multi = await readApkIndexFile(
      realdata('apkindex', 'wolfi', 'chainguard-aarch64-subset16.multisig-rsa256.APKINDEX.tar.gz'),
      { keyring: allKeys },
    );
    expect(multi.packages).toHaveLength(16);
    expect(multi.signatures).toHaveLength(3);
    expect(multi.signatures.every((s) => s.algorithm === 'RSA256' && s.verified)).toBe(true);

    const test = await readApkIndexFile(
      realdata('apkindex', 'test', 'apko-rsa256-signed-test.APKINDEX.tar.gz'),
      { keyring: allKeys },
    );
    expect(test.signatures).toEqual([
      { keyName: 'test-rsa256.rsa.pub', algorithm: 'RSA256', verified: true },
    ]);
  });

  it('refuses the index signed by an unpublished developer key', async () => {
    const path = realdata(
      'apkindex',
      'wolfi',
      'wolfi-os-local-build-aarch64.melange-key.APKINDEX.tar.gz',
    );
    const wolfiKeys = await loadKeyring([realdata('keys', 'wolfi')]);
    expect(await codeOf(readApkIndexFile(path, { keyring: wolfiKeys }))).toBe('ERR_UNTRUSTED');
    // A different key that happens to carry the same file name does not verify it either.
    expect(await codeOf(readApkIndexFile(path, { keyring: allKeys }))).toBe('ERR_SIGNATURE');
    expect((await readApkIndexFile(path, { allowUnsigned: true })).packages).toHaveLength(163);
  });

  it('verifies every untampered package: C:, datahash, per-file SHA-1 and signature', async () => {
    const dirs = ['alpine', 'wolfi', 'wolfi-unsigned', 'test-signed'];
    let count = 0;
    for (const d of dirs) {
      for (const f of readdirSync(realdata('apk', d))) {
        const r = await verifyApkFile(realdata('apk', d, f), { keyring: allKeys });
        expect(r.datahashOk, f).toBe(true);
        expect(r.fileChecksumsOk, f).toBe(true);
        expect(r.files.length, f).toBeGreaterThan(0);
        if (d === 'wolfi-unsigned' || f.includes('UNSIGNED'))
          expect(r.signature, f).toBeUndefined();
        else expect(r.signature?.verified, f).toBe(true);
        count++;
      }
    }
    expect(count).toBe(13);
  });

  it('fails the tampered packages naming the package and the data hash', async () => {
    for (const f of readdirSync(realdata('apk', 'wolfi-tampered'))) {
      const err = await verifyApkFile(realdata('apk', 'wolfi-tampered', f)).catch(
        (e: unknown) => e,
      );
      expect((err as ApkgraphError).code, f).toBe('ERR_APK_CHECKSUM');
      const pkg = f.replace(/\.aarch64\.apk$/, '');
      expect((err as ApkgraphError).subject.package, f).toBe(pkg);
      expect((err as Error).message, f).toMatch(/data SHA-256 \w+ differs from .PKGINFO datahash/);
    }
  });

  it("matches an index's C: and S: for a package the index lists", async () => {
    const index = await readApkIndexFile(
      realdata('apkindex', 'test', 'apko-rsa256-signed-test.APKINDEX.tar.gz'),
      { keyring: allKeys },
    );
    const listed = index.packages.find((p) => p.name === 'alpine-baselayout');
    const path = realdata('apk', 'alpine', 'alpine-baselayout-3.2.0-r23.aarch64.apk');
    const r = await verifyApkFile(path, { expectedChecksum: listed?.checksum ?? '' });
    expect(r.checksumOk).toBe(true);
    expect(r.fileSize).toBe(listed?.size);
    const wrong = await inspectApkFile(path, {
      expectedChecksum: 'Q1AAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
    });
    expect(wrong.checksumOk).toBe(false);
  });

  it('reads and writes the real installed databases byte for byte', () => {
    for (const f of readdirSync(realdata('installed-db'))) {
      const text = readFileSync(realdata('installed-db', f), 'utf8');
      const db = parseInstalledDb(text, f);
      expect(db.length, f).toBeGreaterThan(10);
      expect(formatInstalledDb(db), f).toBe(text);
    }
  });
});
