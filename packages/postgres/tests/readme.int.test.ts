import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeBlocks, root, runTypeScript } from '../../../tests/readme.js';
import { usePostgres } from './server.js';

const server = usePostgres();

describe('@twofold/postgres README', () => {
  it('runs as written against a real PostgreSQL, and prints what it says', async () => {
    const file = join(root, 'packages', 'postgres', 'README.md');
    const [code] = await readmeBlocks('Use it', 'ts', file);
    const [expected] = await readmeBlocks('Use it', 'text', file);
    expect(await runTypeScript(code ?? '', { DATABASE_URL: server.url })).toBe(expected);
  });
});
