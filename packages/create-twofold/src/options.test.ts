import { describe, expect, it } from 'vitest';
import { hasNodeSqlite, packageName } from './manifest.js';
import { DEFAULT_DIRECTORY, parseRequest, UsageError } from './options.js';

describe('parseRequest', () => {
  it('takes one directory, or defaults it', () => {
    expect(parseRequest(['my-app'])).toEqual({ kind: 'create', directory: 'my-app' });
    expect(parseRequest([])).toEqual({ kind: 'create', directory: DEFAULT_DIRECTORY });
    expect(parseRequest(['--help'])).toEqual({ kind: 'help' });
    expect(parseRequest(['-v'])).toEqual({ kind: 'version' });
  });

  it('refuses an unknown option, two directories and an empty name, saying which', () => {
    expect(() => parseRequest(['--store', 'x'])).toThrow(UsageError);
    expect(() => parseRequest(['--store', 'x'])).toThrow("Unknown option '--store'");
    expect(() => parseRequest(['a', 'b'])).toThrow('Give one directory; got 2: a b');
    expect(() => parseRequest([' '])).toThrow('The directory name is empty.');
  });
});

describe('packageName', () => {
  it('makes an npm name of a directory name', () => {
    expect(packageName('My App')).toBe('my-app');
    expect(packageName('.hidden')).toBe('hidden');
    expect(packageName('___')).toBe('twofold-app');
  });
});

describe('hasNodeSqlite', () => {
  it('is true from Node 22.13 on', () => {
    expect(['20.19.0', '22.12.0', '22.13.0', '23.0.0', '24.1.0'].map(hasNodeSqlite)).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
  });
});
