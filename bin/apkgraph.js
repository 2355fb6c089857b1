#!/usr/bin/env node
// The compiled command line lives in dist/ (built by `npm ci` through the prepare script).
import('../dist/cli/main.js').catch((err) => {
  process.stderr.write(
    `apkgraph: cannot start (${err && err.message}); run "npm run build" first\n`,
  );
  process.exitCode = 70;
});
