// The API reference: TypeDoc over the sources of every public package, one module per `exports` entry (read from
// each package.json, so a new subpath is documented as soon as it is exported). `npm run docs:api` writes it to
// .tmp/api (gitignored); tests/api-reference.int.test.ts runs the same conversion in `npm test` and fails on any
// warning, so an export without a doc comment, or a public signature naming a type that is not exported, stops
// the build.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const packages = readdirSync(join(root, 'packages'))
  .map((name) => join(root, 'packages', name))
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => !manifest.private && manifest.exports);

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'Twofold',
  entryPoints: packages.flatMap(({ dir, manifest }) =>
    Object.values(manifest.exports).map((conditions) => join(dir, conditions['@twofold/source'])),
  ),
  tsconfig: join(root, 'tsconfig.api.json'),
  out: join(root, '.tmp', 'api'),
  readme: 'none',
  plugin: [join(root, 'scripts', 'typedoc-not-exported.js')],
  packagesRequiringDocumentation: packages.map(({ manifest }) => manifest.name),
  excludePrivate: true,
  excludeProtected: true,
  excludeInternal: true,
  // No "Defined in" links: they would point at a git remote, which a checkout need not have.
  disableSources: true,
  validation: {
    notExported: true,
    notDocumented: true,
    invalidLink: true,
    rewrittenLink: true,
    unusedMergeModuleWith: true,
  },
  // Properties are not required yet: the members still without a comment are listed by `npm run docs:api`.
  requiredToBeDocumented: [
    'Enum',
    'EnumMember',
    'Variable',
    'Function',
    'Class',
    'Interface',
    'Method',
    'Accessor',
    'TypeAlias',
  ],
  treatWarningsAsErrors: true,
  treatValidationWarningsAsErrors: true,
};
