import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeBlocks, root, runTypeScript } from '../../../tests/readme.js';

describe('@twofold/sqlite README', () => {
  it('runs as written, with its files under data/, and prints what it says', async () => {
    const file = join(root, 'packages', 'sqlite', 'README.md');
    const [code] = await readmeBlocks('Use it', 'ts', file);
    const [expected] = await readmeBlocks('Use it', 'text', file);
    expect(await runTypeScript(code ?? '')).toBe(expected);
  });
});
