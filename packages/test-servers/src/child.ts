import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** A TypeScript fixture run in a real child process, as an app runs: tsx, workspace packages from source. */
export interface Child {
  readonly process: ChildProcess;
  /** Resolves with the first stdout line `accept` returns true for (every line seen so far is in `lines`). */
  until(accept: (line: string) => boolean): Promise<string>;
  readonly lines: string[];
  /** Resolves when the process has exited, with its exit code or signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export interface RunOptions {
  /** Variables added to this process's environment for the child (an app's PORT, DATA_DIR, DATABASE_URL…). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs a TypeScript file in a child process from the repository root, with workspace packages from source.
 *
 * @example
 * const child = runTypeScript(join(here, 'fixtures', 'leader.ts'), [url]);
 * await child.until((line) => line.startsWith('leader'));
 * child.process.kill('SIGKILL');
 */
export function runTypeScript(file: string, args: readonly string[], options: RunOptions = {}): Child {
  const child = spawn(process.execPath, ['--conditions=@twofold/source', '--import', 'tsx', file, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const lines: string[] = [];
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const waiting = new Set<{ accept: (line: string) => boolean; resolve: (line: string) => void }>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of waiting) {
      if (w.accept(line)) {
        waiting.delete(w);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: child,
    lines,
    exited,
    stderr: () => errors,
    until: (accept) => {
      const seen = lines.find(accept);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiting.add({ accept, resolve });
        void exited.then(({ code, signal }) =>
          reject(new Error(`The child exited (${code ?? signal}) first; stderr:\n${errors}`)),
        );
      });
    },
  };
}
