// A worker process without NATS_URL reaches billing's dead letters in the billing.db the app's in-process billing
// keeps in DATA_DIR; it never creates that file itself, which no billing would read.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createBilling } from '../services/billing/service.js';
import { billingDeadLetters } from './billing-link.js';
import { createStores } from './stores.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it("answers UNAVAILABLE for billing's dead letters until the app's billing keeps billing.db, and creates no file", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'twofold-hotel-worker-billing-'));
  dirs.push(dataDir);
  const stores = await createStores();
  const deadLetters = await billingDeadLetters(stores, { dataDir });
  try {
    const [hotel, billing] = deadLetters.sources;
    expect(await hotel!.list({ limit: 20 })).toEqual({ letters: [], more: false });
    const unavailable = {
      code: 'UNAVAILABLE',
      message: `billing keeps no billing.db in ${dataDir}: without NATS_URL, billing runs in the app's process on the same DATA_DIR, and is not running there (or give this process the app's NATS_URL)`,
    };
    await expect(billing!.list({ limit: 20 })).rejects.toMatchObject(unavailable);
    await expect(billing!.replay('billing:e1')).rejects.toMatchObject(unavailable);
    expect(existsSync(join(dataDir, 'billing.db'))).toBe(false);

    // The app's billing starts on the same DATA_DIR: the worker finds its file from then on.
    const app = createBilling(join(dataDir, 'billing.db'));
    try {
      expect(await billing!.list({ limit: 20 })).toEqual({ letters: [], more: false });
      expect(await billing!.replay('billing:e1')).toBe(false);
    } finally {
      await app.close();
    }
  } finally {
    await deadLetters.close();
    await stores.close();
  }
});
