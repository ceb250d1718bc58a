import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@twofold/source'] },
  ssr: { resolve: { conditions: ['@twofold/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/tests/**/*.test.ts',
      'examples/*/src/**/*.test.ts',
      'examples/*/tests/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
