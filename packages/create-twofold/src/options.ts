import { parseArgs } from 'node:util';

/** What `create-twofold` was asked to do. */
export type Request =
  | { readonly kind: 'create'; readonly directory: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' };

/** The directory an app goes to when none is named. */
export const DEFAULT_DIRECTORY = 'twofold-app';

/** What `create-twofold --help` prints. */
export const USAGE = `Usage: npm create twofold@latest [directory]

Writes a new Twofold app into directory (default: ${DEFAULT_DIRECTORY}), which must be new or empty:
messages, a decider, a projection, a query, HTTP on @twofold/http, and vitest tests. Then:

  cd directory
  npm install && npm start   # serves the app on http://localhost:3000
  npm test                   # type-checks and runs the tests

Options:
  -h, --help       print this help
  -v, --version    print create-twofold's version
`;

/** A command line create-twofold cannot follow; the message says what was wrong. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Reads create-twofold's arguments (without node and the script).
 *
 * @example
 * parseRequest(['my-app']); // { kind: 'create', directory: 'my-app' }
 */
export function parseRequest(args: readonly string[]): Request {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nRun with --help to see the options.`);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };
  if (positionals.length > 1) {
    throw new UsageError(
      `Give one directory; got ${positionals.length}: ${positionals.join(' ')}\nRun with --help to see the options.`,
    );
  }
  const directory = positionals[0] ?? DEFAULT_DIRECTORY;
  if (directory.trim() === '') throw new UsageError('The directory name is empty.');
  return { kind: 'create', directory };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } },
  });
}
