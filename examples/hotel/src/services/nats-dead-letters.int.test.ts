// Billing's dead letters asked for over a throwaway nats-server, billing's end on a SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { DeadLetter, DeadLetterStore, Logger } from '@twofold/core';
import { sqlite } from '@twofold/sqlite';
import { type NatsServer, startNats } from '@twofold/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { billingReceiver } from './billing/service.js';
import { answerDeadLetters, askDeadLetters } from './nats-dead-letters.js';

let nats: NatsServer;
let dir: string;
beforeAll(async () => {
  nats = await startNats();
  dir = mkdtempSync(join(tmpdir(), 'hotel-nats-dead-letters-'));
});
afterAll(async () => {
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("billing's answers for its dead letters", () => {
  it('answers a page at a time, the oldest first, saying whether more follow, and refuses a page too large', async () => {
    const db = sqlite(join(dir, 'paged-billing.db'));
    const [server, client] = await Promise.all([connect({ servers: nats.url }), connect({ servers: nats.url })]);
    const receiver = billingReceiver(db);
    const answering = await answerDeadLetters(server, receiver);
    try {
      for (let n = 0; n < 150; n++) {
        const event = { id: `e${n}`, type: 'hotel.RefundRequested', streamId: `cancellation-b${n}`, data: {} };
        await db.deadLetters.add({
          id: `billing:e${n}`,
          subscriber: 'billing',
          event: { ...event, position: n + 1, streamVersion: 1, metadata: {}, timestamp: 0, schemaVersion: 1 },
          error: 'Error: refused',
          attempts: 5,
          at: 1_000 + n,
        } as DeadLetter);
      }
      const asked = askDeadLetters(client, 'billing');
      const first = await asked.list({ limit: 100 });
      expect([first.letters.length, first.letters[0]?.id, first.letters[99]?.id, first.more]).toEqual([
        100,
        'billing:e0',
        'billing:e99',
        true,
      ]);
      const second = await asked.list({ after: { at: 1_099, id: 'billing:e99' }, limit: 100 });
      expect([second.letters.length, second.letters[0]?.id, second.more]).toEqual([50, 'billing:e100', false]);
      await expect(asked.list({ limit: 101 })).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringContaining('billing.dead-letters.list takes {"limit": 1 to 100'),
      });
    } finally {
      await answering.stop();
      await Promise.all([server.close(), client.close()]);
      await db.close();
    }
  });

  it('stop() waits for the answers under way: a request taken before it is answered before the connection closes', async () => {
    const db = sqlite(join(dir, 'billing.db'));
    const [server, client] = await Promise.all([connect({ servers: nats.url }), connect({ servers: nats.url })]);
    const logged: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (_, message) => logged.push(`warn: ${message}`),
      error: (_, message) => logged.push(`error: ${message}`),
    };
    try {
      let listed!: () => void;
      const listing = new Promise<void>((resolve) => {
        listed = resolve;
      });
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      // Billing's dead letters in its file, read once the test lets the list go on.
      const deadLetters: DeadLetterStore = {
        add: (letter) => db.deadLetters.add(letter),
        get: (id) => db.deadLetters.get(id),
        remove: (id) => db.deadLetters.remove(id),
        list: async (subscriber, page) => {
          listed();
          await released;
          return db.deadLetters.list(subscriber, page);
        },
      };
      const answering = await answerDeadLetters(server, { ...billingReceiver(db), deadLetters }, logger);
      const asked = askDeadLetters(client, 'billing').list({ limit: 20 });
      await listing;

      const stopped = answering.stop().then(() => server.close());
      // The subscriptions' drain is done once a flush sent after it is answered, and what stop() does next has run
      // once the turn is over: only then does the list go on.
      await server.flush();
      await new Promise((resolve) => setImmediate(resolve));
      release();
      await stopped;

      await expect(asked).resolves.toEqual({ letters: [], more: false });
      expect(logged).toEqual([]);
    } finally {
      await Promise.all([server.close(), client.close()]);
      await db.close();
    }
  });

  it('says at once that no process of billing listens when none does, rather than that it did not answer in time', async () => {
    const client = await connect({ servers: nats.url });
    try {
      // Asked with a timeout beyond the test's: only NATS saying that nobody listens ends the requests in time.
      const asked = askDeadLetters(client, 'billing', 60_000);
      const refusal = {
        code: 'UNAVAILABLE',
        message: 'billing does not answer for its dead letters: no process of it listens on this NATS server',
      };
      await expect(asked.list({ limit: 20 })).rejects.toMatchObject(refusal);
      await expect(asked.replay('billing:e1')).rejects.toMatchObject(refusal);
    } finally {
      await client.close();
    }
  });

  it('refuses an answer it cannot read as billing being unavailable, naming the subject and what was wrong', async () => {
    const [server, client] = await Promise.all([connect({ servers: nats.url }), connect({ servers: nats.url })]);
    try {
      // A process on the subjects that answers what an older or newer billing might.
      server.subscribe('billing.dead-letters.>', {
        callback: (_, message) => {
          message.respond(JSON.stringify({ letters: 'none', outcome: 'done' }));
        },
      });
      await server.flush();
      const asked = askDeadLetters(client, 'billing');
      await expect(asked.list({ limit: 20 })).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringMatching(
          /^billing answered billing\.dead-letters\.list with a body this process cannot read: .*letters/s,
        ),
      });
      await expect(asked.replay('billing:e1')).rejects.toMatchObject({
        code: 'UNAVAILABLE',
        message: expect.stringMatching(
          /^billing answered billing\.dead-letters\.replay with a body this process cannot read: .*outcome/s,
        ),
      });
    } finally {
      await Promise.all([server.close(), client.close()]);
    }
  });
});
