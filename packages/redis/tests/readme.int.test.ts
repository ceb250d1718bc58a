import { join } from 'node:path';
import { startRedis } from '@twofold/test-servers';
import { describe, expect, it } from 'vitest';
import { readmeBlocks, root, runTypeScript } from '../../../tests/readme.js';

describe('@twofold/redis README', () => {
  it('runs as written against a throwaway Redis, and prints what it says', async () => {
    const file = join(root, 'packages', 'redis', 'README.md');
    const [code] = await readmeBlocks('Use it', 'ts', file);
    const [expected] = await readmeBlocks('Use it', 'text', file);
    const redis = await startRedis();
    try {
      expect(await runTypeScript(code ?? '', { REDIS_URL: redis.url })).toBe(expected);
    } finally {
      await redis.stop();
    }
  });
});
