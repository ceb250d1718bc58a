#!/usr/bin/env node
// `npm create twofold@latest [directory]`: writes a new app and says how to run it.
import { relative } from 'node:path';
import { create, VERSION } from './create.js';
import { parseRequest, USAGE, UsageError } from './options.js';

try {
  const request = parseRequest(process.argv.slice(2));
  if (request.kind === 'help') console.log(USAGE);
  else if (request.kind === 'version') console.log(VERSION);
  else {
    // For testing a local build: a folder of @twofold tarballs to depend on instead of the registry's.
    const { dir, name } = await create({
      directory: request.directory,
      packages: process.env.CREATE_TWOFOLD_PACKAGES,
    });
    const cd = relative(process.cwd(), dir) || '.';
    console.log(`Created ${name} in ${dir}. Next:

  cd ${cd.includes(' ') ? JSON.stringify(cd) : cd}
  npm install && npm start   # serves the app on http://localhost:3000
  npm test                   # type-checks and runs the tests`);
  }
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`create-twofold: ${error.message}`);
  process.exitCode = 1;
}
