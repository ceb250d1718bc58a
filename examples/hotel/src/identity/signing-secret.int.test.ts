import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PostgresServer, startPostgres } from '@twofold/test-servers';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStores, type Stores, type StoresConfig } from '../app/stores.js';
import { deploymentSecret } from './signing-secret.js';

let postgres: PostgresServer;
const dir = mkdtempSync(join(tmpdir(), 'twofold-hotel-secret-'));
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const databases: { on: string; config: () => StoresConfig }[] = [
  { on: 'one SQLite file', config: () => ({ dataDir: mkdtempSync(join(dir, 'sqlite-')) }) },
  { on: 'one PostgreSQL schema', config: () => ({ postgres: { url: postgres.url, schema: 'secret' } }) },
];

it.each(databases)('is made once for every process starting at the same time on $on', async ({ config }) => {
  const shared = config();
  // Opened one after the other: the race under test is the secret's, not the schema's.
  const processes: Stores[] = [];
  for (let i = 0; i < 4; i++) processes.push(await createStores(shared));
  let secret: string | undefined;
  try {
    const secrets = await Promise.all(processes.map((stores) => deploymentSecret(stores.writes)));
    expect(new Set(secrets).size).toBe(1);
    secret = secrets[0]!;
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(await deploymentSecret(processes[0]!.writes)).toBe(secret);
    // A state, not an event: no event list shows it.
    expect(await processes[0]!.writes.readLatest(10)).toEqual([]);
  } finally {
    for (const stores of processes) await stores.close();
  }
  const again = await createStores(shared);
  const elsewhere = await createStores({ dataDir: mkdtempSync(join(dir, 'other-')) });
  try {
    expect(await deploymentSecret(again.writes)).toBe(secret);
    expect(await deploymentSecret(elsewhere.writes)).not.toBe(secret);
  } finally {
    await again.close();
    await elsewhere.close();
  }
});
