// The guides under docs/ promise what they say: their tables match the code, their examples run as written.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROBLEM_STATUS } from '@twofold/core/wire';
import { describe, expect, it } from 'vitest';
import { readmeBlocks, root, runTypeScript } from './readme.js';

const errors = join(root, 'docs', 'errors.md');

/** The rows of the markdown table that starts after `heading`'s first line of text: code → status. */
async function statusTable(heading: string, nth: number): Promise<Map<string, number>> {
  const text = await readFile(errors, 'utf8');
  const section = text.slice(text.indexOf(`## ${heading}`));
  const tables = section.split(/\n\n/).filter((block) => block.startsWith('| code'));
  const rows = (tables[nth] ?? '').split('\n').slice(2);
  return new Map(
    rows.map((row) => {
      const cells = row.split('|').map((cell) => cell.trim());
      return [cells[1]!.replaceAll('`', ''), Number(cells[3])];
    }),
  );
}

describe('docs/errors.md', () => {
  it("lists every code of core's ErrorCode with the status HTTP answers it with", async () => {
    const source = await readFile(join(root, 'packages', 'core', 'src', 'errors', 'errors.ts'), 'utf8');
    const union = /export type ErrorCode =([^;]*);/.exec(source)?.[1] ?? '';
    const codes = [...union.matchAll(/'([A-Z_]+)'/g)].map((match) => match[1]);
    const table = await statusTable('Every code', 0);
    expect([...table.keys()].sort()).toEqual([...codes].sort());
    const statuses = PROBLEM_STATUS as Readonly<Record<string, number>>;
    for (const [code, status] of table) expect(status, code).toBe(statuses[code] ?? 500);
  });

  it("lists HTTP's own codes, so that the two tables hold every code the wire knows", async () => {
    const core = await statusTable('Every code', 0);
    const http = await statusTable('Every code', 1);
    const statuses = PROBLEM_STATUS as Readonly<Record<string, number>>;
    for (const [code, status] of http) expect(status, code).toBe(statuses[code]);
    const known = new Set([...core.keys(), ...http.keys()]);
    expect(Object.keys(PROBLEM_STATUS).filter((code) => !known.has(code))).toEqual([]);
  });

  it('runs the DomainError example as written', async () => {
    const [code] = await readmeBlocks('A DomainError with details', 'ts', errors);
    const [expected] = await readmeBlocks('A DomainError with details', 'text', errors);
    expect(await runTypeScript(code ?? '')).toBe(expected);
  }, 180_000);
});

describe('docs/write-models.md', () => {
  it("names the test kit's peers as @twofold/core declares them, and the test kit imports no other package", async () => {
    const text = await readFile(join(root, 'docs', 'write-models.md'), 'utf8');
    expect(text).toContain('it imports `vitest` (4), and its store contract suites also\n`fast-check` (4)');
    const core = JSON.parse(await readFile(join(root, 'packages', 'core', 'package.json'), 'utf8'));
    expect(core.peerDependencies).toEqual({ 'fast-check': '^4.0.0', vitest: '^4.0.0' });
    expect(core.peerDependenciesMeta).toEqual({ 'fast-check': { optional: true }, vitest: { optional: true } });
    const kit = join(root, 'packages', 'core', 'src', 'testing');
    const sources = (await readdir(kit)).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
    const imported = new Set<string>();
    for (const file of sources) {
      const source = await readFile(join(kit, file), 'utf8');
      for (const match of source.matchAll(/from '([^.][^']*)'/g)) imported.add(match[1]!);
    }
    expect([...imported].sort()).toEqual(['fast-check', 'vitest']);
  });
});

describe('docs/architecture.md', () => {
  const architecture = join(root, 'docs', 'architecture.md');

  it('names only files and folders that exist', async () => {
    const text = await readFile(architecture, 'utf8');
    const paths = [...text.matchAll(/`((?:packages|examples|bench|tests)\/[^`]*)`/g)].map((match) => match[1]!);
    expect(paths.length).toBeGreaterThan(20);
    const missing = paths.filter((path) => !existsSync(join(root, path)));
    expect(missing).toEqual([]);
  });

  it('names only contract suites that @twofold/core/testing exports', async () => {
    const text = await readFile(architecture, 'utf8');
    const suites = [...new Set([...text.matchAll(/`(\w+Contract)`/g)].map((match) => match[1]!))];
    expect(suites.length).toBeGreaterThan(4);
    const testing = (await import('@twofold/core/testing')) as Record<string, unknown>;
    expect(suites.filter((suite) => typeof testing[suite] !== 'function')).toEqual([]);
  });
});

describe('docs/command-queue.md', () => {
  const guide = join(root, 'docs', 'command-queue.md');

  it('runs the queued command example as written', async () => {
    const [code] = await readmeBlocks('A queued command, start to finish', 'ts', guide);
    const [expected] = await readmeBlocks('A queued command, start to finish', 'text', guide);
    expect(await runTypeScript(code ?? '')).toBe(expected);
  }, 180_000);

  it('runs the example over HTTP as written', async () => {
    const [code] = await readmeBlocks('Over HTTP', 'ts', guide);
    const [expected] = await readmeBlocks('Over HTTP', 'text', guide);
    expect(await runTypeScript(code ?? '')).toBe(expected);
  }, 180_000);

  it('runs the dead letter example as written', async () => {
    const [code] = await readmeBlocks('Dead letters', 'ts', guide);
    expect(await runTypeScript(code ?? '')).toBe('');
  }, 180_000);

  it('lists every option of CommandWorker whose default is a number, with the default its doc comment gives', async () => {
    const source = await readFile(join(root, 'packages', 'core', 'src', 'command-queue', 'worker.ts'), 'utf8');
    const options = /export interface CommandWorkerOptions \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
    const defaults = [...options.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*readonly (\w+)\?:/g)].flatMap(
      ([, comment, name]) => {
        const value = /Default: ([\d ]+)/.exec(comment!.replace(/\n\s*\*/g, ' '))?.[1];
        return value === undefined ? [] : [[name, value.replaceAll(' ', '')]];
      },
    );
    const text = await readFile(guide, 'utf8');
    const section = text.slice(text.indexOf('## Workers'));
    const table = section.split(/\n\n/).find((block) => block.startsWith('| option')) ?? '';
    const rows = table
      .split('\n')
      .slice(2)
      .map((row) => row.split('|').map((cell) => cell.trim()))
      .map((cells) => [cells[1]!.replaceAll('`', ''), cells[3]!.replaceAll(' ', '')]);
    expect(defaults.length).toBeGreaterThan(3);
    expect(rows).toEqual(defaults);
  });
});

describe('docs/process-managers.md', () => {
  const guide = join(root, 'docs', 'process-managers.md');

  it('runs the checkout example as written, and its given/when/then specs pass', async () => {
    const [code] = await readmeBlocks('A checkout, start to finish', 'ts', guide);
    const [expected] = await readmeBlocks('A checkout, start to finish', 'text', guide);
    const [specs] = await readmeBlocks('Testing with given / when / then', 'ts', guide);
    expect(await runTypeScript(`${code}\n${specs}\nconsole.log('specs passed');\n`)).toBe(`${expected}specs passed\n`);
  }, 180_000);
});
