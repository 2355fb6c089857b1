#!/usr/bin/env node
// The entry point is CommonJS (see package.json here) so that this runs before Node reads any
// other module: libuv sizes its thread pool once, at first use. Every build compresses and
// decompresses on that pool, and its default of 4 threads would cap a many-core machine.
const { availableParallelism } = require('node:os');
process.env.UV_THREADPOOL_SIZE ??= String(Math.min(128, Math.max(4, availableParallelism() + 4)));

// The compiled command line lives in dist/ (built by `npm ci` through the prepare script).
import('../dist/cli/main.js').catch((err) => {
  process.stderr.write(
    `apkgraph: cannot start (${err && err.message}); run "npm run build" first\n`,
  );
  process.exitCode = 70;
});
