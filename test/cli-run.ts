/** Runs the command line in-process for tests, capturing what it writes. */
import { vi } from 'vitest';
import { main } from '../src/cli/main.js';

/** What one command printed and its exit code. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** Runs `apkgraph <args>`; stdout and stderr are captured, not printed, and restored after. */
export async function runCli(args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(['node', 'apkgraph', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    // main may set it for a failure; a later test must not inherit it.
    process.exitCode = undefined;
  }
}
