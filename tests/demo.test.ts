import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { root } from './readme.js';

it('the mediator demo (npm start) runs its tour to the end', async () => {
  const dir = join(root, 'examples', 'mediator-demo');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@twofold/source', '--import', 'tsx', 'src/main.ts'],
    { cwd: dir, timeout: 60_000 },
  );
  expect(stdout).toContain('ROOM_TAKEN: Room 101 is not free');
  expect(stdout).toMatch(/VALIDATION_FAILED: .*guest: Invalid email address/);
  expect(stdout).toContain('UNAUTHENTICATED');
  expect(stdout).toContain('[alert] management: bk-1 was cancelled');
  expect(stdout).toContain("free now: [ '101', '102', '201' ]");
});
