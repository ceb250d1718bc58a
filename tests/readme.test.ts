import { describe, expect, it } from 'vitest';
import { readmeBlocks, runTypeScript } from './readme.js';

describe('README', () => {
  it('quickstart runs as written and prints what the README says', async () => {
    const [code] = await readmeBlocks('Quickstart', 'ts');
    const [expected] = await readmeBlocks('Quickstart', 'text');
    expect(code?.split('\n').length).toBeLessThanOrEqual(30);
    expect(await runTypeScript(code ?? '')).toBe(expected);
  });

  it('write models section runs as written', async () => {
    const [code] = await readmeBlocks('Write models', 'ts');
    const [expected] = await readmeBlocks('Write models', 'text');
    expect(await runTypeScript(code ?? '')).toBe(expected);
  });

  it('read models section runs as written', async () => {
    const [code] = await readmeBlocks('Read models', 'ts');
    const [expected] = await readmeBlocks('Read models', 'text');
    expect(await runTypeScript(code ?? '')).toBe(expected);
  });

  it('names the two set-up commands', async () => {
    const [commands] = await readmeBlocks('Set up', 'sh');
    expect(commands).toContain('npm install && npm start');
    expect(commands).toContain('npm test');
  });
});
