/**
 * External OCI tools for image tests. A test that needs a missing tool is skipped with the
 * reason in its title on a developer machine, and fails in CI (CI=true), where the tools are
 * installed on purpose.
 */
import { execFileSync } from 'node:child_process';
import { it } from 'vitest';

const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** Whether `tool` is on the PATH. */
export function hasTool(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `it`, but only when `tool` is installed (see the module comment). */
export function itWithTool(tool: string, name: string, body: () => Promise<void>): void {
  if (hasTool(tool)) {
    it(name, body);
  } else if (inCi) {
    it(name, () => {
      throw new Error(`${tool} is not installed; CI must install it (see .ci/run)`);
    });
  } else {
    it.skip(`SKIPPED (${tool} not installed): ${name}`, body);
  }
}
