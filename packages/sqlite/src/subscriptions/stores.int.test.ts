import { subscriptionStoresContract } from '@twofold/core/testing';
import { describe, expect, it } from 'vitest';
import { rawDatabase } from '../../tests/raw-database.js';
import { tempDir } from '../../tests/temp-dir.js';
import { migrate } from '../connection/migrations.js';
import { sqlite } from '../index.js';
import { pageQuery } from './dead-letter-store.js';
import { deadLetterMigrations } from './schema.js';

const temp = tempDir();

subscriptionStoresContract('sqlite(…).checkpoints and .deadLetters', () => {
  const path = temp.file('subscriptions');
  return {
    open: () => {
      const db = sqlite(path);
      return { checkpoints: db.checkpoints, deadLetters: db.deadLetters, close: () => db.close() };
    },
  };
});

describe('SqliteDeadLetterStore', () => {
  it('reads a page of dead letters from an index in their order, every subscriber’s or one’s, without sorting them', async () => {
    const db = sqlite(temp.file('dead-letter-plan'));
    try {
      for (const [ofOne, after, index] of [
        [false, false, 'twofold_dead_letters_by_at'],
        [false, true, 'twofold_dead_letters_by_at'],
        [true, false, 'twofold_dead_letters_by_subscriber_at'],
        [true, true, 'twofold_dead_letters_by_subscriber_at'],
      ] as const) {
        const params = [...(ofOne ? ['emails'] : []), ...(after ? [10, 'd1'] : []), 20];
        const plan = db.connection
          .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${pageQuery(ofOne, after)}`)
          .all(...params)
          .map((step) => step.detail);
        expect(plan, `${ofOne} ${after}`).toEqual([expect.stringMatching(new RegExp(`USING INDEX ${index}\\b`))]);
      }
    } finally {
      await db.close();
    }
  });

  it('pages the dead letters a file parked before their indexes were in the order of their pages', async () => {
    const path = temp.file('dead-letters-v1');
    const raw = rawDatabase(path);
    migrate(raw, 'dead-letters', deadLetterMigrations.slice(0, 1));
    const insert = raw.prepare(
      `INSERT INTO twofold_dead_letters (id, subscriber, position, event, error, attempts, at)
       VALUES (?, 'emails', ?, '{"position":1}', 'Error', 1, 10)`,
    );
    for (const [id, position] of [
      ['b', 1],
      ['a', 2],
      ['c', 3],
    ] as const)
      insert.run(id, position);
    raw.close();
    const db = sqlite(path);
    try {
      const first = await db.deadLetters.list('emails', { limit: 2 });
      expect(first.map((letter) => letter.id)).toEqual(['a', 'b']);
      expect((await db.deadLetters.list('emails', { after: { at: 10, id: 'b' } })).map((l) => l.id)).toEqual(['c']);
    } finally {
      await db.close();
    }
  });
});
