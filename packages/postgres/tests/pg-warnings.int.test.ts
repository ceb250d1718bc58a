import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTypeScript } from '@twofold/test-servers';
import { describe, expect, it } from 'vitest';
import { usePostgres } from './server.js';

const server = usePostgres();
const here = dirname(fileURLToPath(import.meta.url));

describe('the PostgreSQL document store and pg', () => {
  it('never hands a transaction client a query while another runs (pg 8 warns, pg 9 refuses)', async () => {
    const child = runTypeScript(join(here, 'fixtures', 'document-writes.ts'), [server.url, server.schema()]);
    const { code } = await child.exited;
    expect(child.stderr()).toBe('');
    expect(code).toBe(0);
    // pg warns once per process: the fixture runs in a process of its own and prints every warning it gets.
    expect(child.lines).toEqual(['inline-count 20', 'later-count 20', 'done']);
  }, 60_000);
});
