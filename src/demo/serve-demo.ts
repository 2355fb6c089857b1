/**
 * Makes a set's demo repository reachable: generates it (once per cache directory), serves it
 * on 127.0.0.1 and mirrors the set's demo repository URL to the server. Sets without a `demo`
 * setting, or whose demo URL is already mirrored elsewhere, are left alone.
 */
import { nullLogger, type Logger } from '../log/logger.js';
import type { ModuleSet } from '../moduleset/types.js';
import { startRepoServer, type RepoServer } from '../serve/repo-server.js';
import { ensureDemoRepo, loadDemoRepoSpec } from './demo-repo.js';

/**
 * Prepares the demo repository of `set`, adding its mirror to `mirrors`. Returns the server to
 * close when done, if one was started.
 */
export async function serveDemoRepo(
  set: ModuleSet,
  cacheDir: string,
  mirrors: Record<string, string>,
  options: { logger?: Logger; signal?: AbortSignal } = {},
): Promise<RepoServer | undefined> {
  if (set.settings.demo === undefined) return undefined;
  const logger = options.logger ?? nullLogger;
  const spec = await loadDemoRepoSpec(set.settings.demo);
  if (mirrors[spec.repository] !== undefined) return undefined;
  const demo = await ensureDemoRepo(spec, cacheDir, options);
  const server = await startRepoServer({ root: demo.dir });
  mirrors[spec.repository] = server.url;
  // Locks and logs keep naming spec.repository on purpose (images record the configured URL);
  // the mirror only changes where it is fetched from, so say both plainly.
  logger.info(
    `serving the demo repository ${spec.repository} (the name the set uses) ` +
      `at ${server.url} for this run`,
  );
  return server;
}
