/**
 * `apkgraph apk inspect FILE.apk`: the .PKGINFO, the three section hashes and the file list of
 * a package, with every check apkgraph makes before installing it.
 */
import type { Command } from 'commander';
import { assertApkReport, inspectApkFile, type ApkReport } from '../../apk/apk-verify.js';
import { loadKeyring } from '../../apk/keys.js';
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
      `  signature: ${r.signature.algorithm} ${r.signature.keyName}, sha1 ${r.signature.sha1Hex}: ${state}`,
    );
  } else {
    lines.push('  signature: none (unsigned package)');
  }
  lines.push(
    `  control:   sha1 ${r.controlSha1} = ${r.checksum}${r.checksumOk === undefined ? '' : ` vs --checksum: ${mark(r.checksumOk)}`}`,
  );
  lines.push(
    `  data:      sha256 ${r.dataSha256} vs datahash ${r.datahash ?? '(none)'}: ${mark(r.datahashOk)}`,
  );
  lines.push(
    `  files:     ${r.files.length} entries, per-file sha1 ${r.fileChecksumsOk ? 'ok' : `MISMATCH in ${r.badFiles.join(', ')}`}`,
  );
  lines.push('files:');
  for (const f of r.files) {
    const mode = f.mode.toString(8).padStart(4, '0');
    const link = f.linkname === undefined ? '' : ` -> ${f.linkname}`;
    lines.push(
      `  ${f.type.padEnd(9)} ${mode} ${f.uid}:${f.gid} ${String(f.size).padStart(9)} ${f.path}${link}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Adds `apk inspect`. */
export function register(program: Command, io: () => CliIo): void {
  const group = program.command('apk').description('Work with .apk package files.');
  group
    .command('inspect')
    .description(
      'Show the .PKGINFO, the signature, control (C: / Q1) and data (datahash) hashes and the\n' +
        'file list of an .apk; exit 1 if any hash or the signature does not verify.',
    )
    .argument('<file>', 'the .apk file')
    .option('--keyring <path>', 'check the signature with these keys (repeatable)', collect)
    .option('--checksum <Q1…>', "the index's C: value the package must match")
    .option('--json', 'print the report as JSON')
    .action(async (file: string, flags: Flags) => {
      const keyring = flags.keyring?.length ? await loadKeyring(flags.keyring) : undefined;
      const report = await inspectApkFile(file, {
        ...(keyring ? { keyring } : {}),
        ...(flags.checksum ? { expectedChecksum: flags.checksum } : {}),
      });
      io().out(flags.json ? `${JSON.stringify(report, null, 2)}\n` : render(file, report));
      assertApkReport(report, file, flags.checksum);
    });
}
