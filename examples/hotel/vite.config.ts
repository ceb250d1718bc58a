import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

// The UI imports the hotel's message definitions and the Twofold packages from their TypeScript source.
export default defineConfig({
  root: fileURLToPath(new URL('ui', import.meta.url)),
  resolve: { conditions: ['@twofold/source', ...defaultClientConditions] },
  build: {
    outDir: fileURLToPath(new URL('dist/ui', import.meta.url)),
    emptyOutDir: true,
    reportCompressedSize: false,
  },
  server: { proxy: { '/api': 'http://localhost:3000' } },
  logLevel: 'warn',
});
