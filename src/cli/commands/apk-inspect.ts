/**
 * `apkgraph apk inspect FILE.apk`: the .PKGINFO, the three section hashes and the file list of
 * a package, with every check apkgraph makes before installing it.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { readApkIndex } from '../../apk/apkindex-file.js';
import { assertApkReport, inspectApkFile, type ApkReport } from '../../apk/apk-verify.js';
import { loadKeyring } from '../../apk/keys.js';
import { ApkgraphError, isApkgraphError } from '../../errors.js';
import { existingPaths } from '../../scheduler/options.js';
import type { CliIo } from '../io.js';

interface Flags {
  keyring?: string[];
  checksum?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

const mark = (ok: boolean | undefined): string =>
  ok === undefined ? 'not checked' : ok ? 'ok' : 'MISMATCH';

function render(file: string, r: ApkReport): string {
  const lines = [`package: ${r.name}-${r.version} (${r.arch || 'no arch'}), ${r.fileSize} bytes`];
  lines.push(`file: ${file}`, '.PKGINFO:');
  for (const [k, v] of r.pkginfo) lines.push(`  ${k} = ${v}`);
  lines.push('hashes:');
  if (r.signature) {
    const state =
      r.signature.verified === undefined
        ? 'not checked (no --keyring with this key)'
        : r.signature.verified
          ? 'verified'
          : 'NOT verified';
    lines.push(
      `  signature: ${r.signature.algorithm} ${r.signature.keyName}, ` +
        `sha1 ${r.signature.sha1Hex}: ${state}`,
    );
  } else {
    lines.push('  signature: none (unsigned package)');
  }
  lines.push(
    `  control:   sha1 ${r.controlSha1} = ${r.checksum}` +
      `${r.checksumOk === undefined ? '' : ` vs --checksum: ${mark(r.checksumOk)}`}`,
  );
  lines.push(
    `  data:      sha256 ${r.dataSha256} vs datahash ${r.datahash ?? '(none)'}: ` +
      `${mark(r.datahashOk)}`,
  );
  lines.push(
    `  files:     ${r.files.length} entries, per-file sha1 ` +
      `${r.fileChecksumsOk ? 'ok' : `MISMATCH in ${r.badFiles.join(', ')}`}`,
  );
  lines.push('files:');
  for (const f of r.files) {
    const mode = f.mode.toString(8).padStart(4, '0');
    const link = f.linkname === undefined ? '' : ` -> ${f.linkname}`;
    lines.push(
      `  ${f.type.padEnd(9)} ${mode} ${f.uid}:${f.gid} ${String(f.size).padStart(9)} ` +
        `${f.path}${link}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * When a file is not a valid .apk, checks whether it is an APKINDEX.tar.gz given by mistake:
 * both are gzip streams, so the package reader only sees "no data section". Returns a clearer
 * error, or undefined to keep the original one.
 */
async function indexGivenAsApk(file: string): Promise<ApkgraphError | undefined> {
  const bytes = await readFile(file).catch(() => undefined);
  if (!bytes || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return undefined;
  let signed: boolean;
  try {
    const index = readApkIndex(bytes, { source: file, allowUnsigned: true });
    signed = index.signatures.length > 0;
  } catch {
    return undefined;
  }
  const layout = signed
    ? '2 gzip members: the first is a signature, the second holds APKINDEX and DESCRIPTION'
    : 'a gzip member holding APKINDEX and DESCRIPTION';
  return new ApkgraphError(
    'ERR_APK_FORMAT',
    `${file} looks like a repository index, not a package (${layout})`,
    { path: file, hint: `inspect it with: apkgraph index inspect ${file}` },
  );
}

/** Adds `apk inspect`. */
export function register(program: Command, io: () => CliIo): void {
  const group = program.command('apk').description('Work with .apk package files.');
  group
    .command('inspect')
    .description(
      'Show the .PKGINFO, the signature, control (C: / Q1) and data (datahash) hashes and the ' +
        'file list of an .apk; exit 1 if any hash or the signature does not verify.',
    )
    .argument('<file>', 'the .apk file')
    .option('--keyring <path>', 'check the signature with these keys (repeatable)', collect)
    .option('--checksum <Q1…>', "the index's C: value the package must match")
    .option('--json', 'print the report as JSON')
    .action(async (file: string, flags: Flags) => {
      const keyring = flags.keyring?.length
        ? await loadKeyring(await existingPaths('--keyring', flags.keyring))
        : undefined;
      const report = await inspectApkFile(file, {
        ...(keyring ? { keyring } : {}),
        ...(flags.checksum ? { expectedChecksum: flags.checksum } : {}),
      }).catch(async (err: unknown) => {
        if (isApkgraphError(err) && err.code === 'ERR_APK_FORMAT') {
          throw (await indexGivenAsApk(file)) ?? err;
        }
        throw err;
      });
      io().out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : render(file, report));
      assertApkReport(report, file, flags.checksum);
    });
}
