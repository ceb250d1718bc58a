import { join } from 'node:path';
import { startNats } from '@twofold/test-servers';
import { describe, expect, it } from 'vitest';
import { readmeBlocks, root, runTypeScript } from '../../../tests/readme.js';

describe('@twofold/nats README', () => {
  it('runs as written against a throwaway nats-server, and prints what it says', async () => {
    const file = join(root, 'packages', 'nats', 'README.md');
    const [code] = await readmeBlocks('Use it', 'ts', file);
    const [expected] = await readmeBlocks('Use it', 'text', file);
    const nats = await startNats();
    try {
      expect(await runTypeScript(code ?? '', { NATS_URL: nats.url })).toBe(expected);
    } finally {
      await nats.stop();
    }
  });
});
