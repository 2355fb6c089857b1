/**
 * `apkgraph index inspect FILE`: what an APKINDEX holds and who signed it.
 */
import type { Command } from 'commander';
import { readApkIndexFile, type ApkIndex } from '../../apk/apkindex-file.js';
import { loadKeyring } from '../../apk/keys.js';
import { existingPaths } from '../../scheduler/options.js';
import type { CliIo } from '../io.js';

interface Flags {
  keyring?: string[];
  json?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

function archCounts(index: ApkIndex): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of index.packages) counts[p.arch] = (counts[p.arch] ?? 0) + 1;
  return counts;
}

function render(file: string, index: ApkIndex, checked: boolean): string {
  const lines = [`index: ${file}`];
  if (index.description) lines.push(`description: ${index.description}`);
  const archs = Object.entries(archCounts(index))
    .map(([a, n]) => `${a} ${n}`)
    .join(', ');
  lines.push(`packages: ${index.packages.length}${archs ? ` (${archs})` : ''}`);
  if (index.signatures.length === 0) lines.push('signature: none (unsigned)');
  for (const s of index.signatures) {
    const state = !checked
      ? 'not checked (no --keyring)'
      : s.verified
        ? 'verified'
        : 'NOT verified';
    lines.push(`signature: ${s.algorithm} ${s.keyName}: ${state}`);
  }
  if (index.verifiedBy) lines.push(`verified by: ${index.verifiedBy}`);
  return `${lines.join('\n')}\n`;
}

/** Adds `index inspect`. */
export function register(program: Command, io: () => CliIo): void {
  const group = program
    .command('index')
    .description('Work with APKINDEX files (signed repository indexes).');
  group
    .command('inspect')
    .description(
      'Show the package count, description and signers of an APKINDEX.tar.gz (or plain ' +
        'APKINDEX). With --keyring, verify it: exit 1 unless a signature by a keyring key ' +
        'verifies.',
    )
    .argument('<file>', 'APKINDEX.tar.gz or plain-text APKINDEX')
    .option('--keyring <path>', 'trusted key file or directory of *.rsa.pub (repeatable)', collect)
    .option('--json', 'print the result as JSON')
    .action(async (file: string, flags: Flags) => {
      const keyring = flags.keyring?.length
        ? await loadKeyring(await existingPaths('--keyring', flags.keyring))
        : undefined;
      // Without a keyring nothing can be verified, so the index is only described.
      const index = await readApkIndexFile(file, keyring ? { keyring } : { allowUnsigned: true });
      if (flags.json) {
        const { packages, ...rest } = index;
        const summary = {
          file,
          ...rest,
          packages: packages.length,
          archs: archCounts(index),
          checked: keyring !== undefined,
        };
        io().out(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        io().out(render(file, index, keyring !== undefined));
      }
    });
}
