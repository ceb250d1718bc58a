// The folders of core name its concepts, and a concept may build on another only one way: a cycle between two
// folders means neither can be read, moved or tested without the other.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = dirname(fileURLToPath(import.meta.url));

function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

function folderOf(path: string): string | undefined {
  const parts = relative(root, path).split('/');
  return parts.length > 1 ? parts[0] : undefined;
}

/** For each folder, the folders its source files import from, with the files that do. */
function folderImports(): Map<string, Map<string, Set<string>>> {
  const graph = new Map<string, Map<string, Set<string>>>();
  for (const file of sources(root)) {
    const from = folderOf(file);
    if (from === undefined) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(/\bfrom\s+'(\.[^']+)'/g)) {
      const to = folderOf(resolve(dirname(file), match[1]!));
      if (to === undefined || to === from) continue;
      const targets = graph.get(from) ?? new Map<string, Set<string>>();
      graph.set(from, targets);
      const files = targets.get(to) ?? new Set<string>();
      targets.set(to, files);
      files.add(relative(root, file));
    }
  }
  return graph;
}

/** Every cycle through `start`, as the folders it passes, each reported once from its first folder. */
function cycles(graph: Map<string, Map<string, Set<string>>>): string[][] {
  const found: string[][] = [];
  const folders = [...graph.keys()].sort();
  for (const start of folders) {
    const walk = (at: string, path: string[]) => {
      for (const next of graph.get(at)?.keys() ?? []) {
        if (next === start) found.push([...path, start]);
        else if (!path.includes(next) && next > start) walk(next, [...path, next]);
      }
    };
    walk(start, [start]);
  }
  return found;
}

describe('core folders', () => {
  it('import one another without a cycle', () => {
    const graph = folderImports();
    const described = cycles(graph).map((cycle) =>
      cycle
        .slice(1)
        .map((to, i) => `${cycle[i]} -> ${to} (${[...graph.get(cycle[i]!)!.get(to)!].join(', ')})`)
        .join('; '),
    );
    expect(described).toEqual([]);
  });

  it('finds a cycle where there is one', () => {
    const graph = new Map([
      ['a', new Map([['b', new Set(['a/x.ts'])]])],
      ['b', new Map([['a', new Set(['b/y.ts'])]])],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'a']]);
  });
});
