import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { type Child, runTypeScript, startNats } from '@twofold/test-servers';
import { describe, expect, it } from 'vitest';
import { book, useSqlite } from '../tests/setup.js';
import { ensureStream } from './index.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'fixtures');
const open = useSqlite();

const PER_BATCH = 40;
// Rounds of kills: 1 in npm test; the long run (`npm run bench:broker-crash -w @twofold/bench`) sets more.
const ROUNDS = Number(process.env.TWOFOLD_NATS_CRASH_ROUNDS ?? 1);
if (!Number.isSafeInteger(ROUNDS) || ROUNDS < 1) throw new Error('TWOFOLD_NATS_CRASH_ROUNDS must be an integer >= 1');
// What is killed while each batch after the first is on its way (during the first, the consumer kills itself).
const VICTIMS = Array.from({ length: ROUNDS }, () => ['relay', 'nats', 'consumer', 'relay', 'nats'] as const).flat();

describe('a relay, a consumer and nats-server, each killed with SIGKILL mid-flow and restarted on its data', () => {
  it(
    'hands every committed event to the receiving service exactly once in effect, none lost',
    async () => {
      // A server of this test's own: it is killed and restarted on its store directory.
      const server = await startNats();
      const hotel = open();
      const billingPath = join(dirname(hotel.path), 'billing.db');
      const billing = open(billingPath);
      const [stream, prefix] = ['CRASH', 'crash.events'];
      const children: Child[] = [];
      const lines = () => children.flatMap((child) => child.lines);
      const start = async (fixture: 'relay' | 'consumer', ...extra: string[]) => {
        const path = fixture === 'relay' ? hotel.path : billingPath;
        const child = runTypeScript(join(fixtures, `${fixture}.ts`), [path, server.url, stream, prefix, ...extra]);
        children.push(child);
        await child.until((line) => line === 'ready');
        return child;
      };
      const handled = () => lines().filter((line) => line.startsWith('handled ')).length;
      const kills = { relay: 0, consumer: 0, nats: 0 };
      try {
        const admin = await connect({ servers: server.url });
        await ensureStream(await jetstreamManager(admin), { name: stream, prefix });
        await admin.close();
        let relay = await start('relay');
        // The first consumer kills itself right after committing its 5th effect, before acking it.
        let consumer = await start('consumer', '5');
        const batch = async (n: number) => {
          const ids = Array.from({ length: PER_BATCH }, (_, i) => `b${n}-${i}`);
          await book(hotel, ids);
          return ids.length;
        };
        let committed = await batch(0);
        expect((await consumer.exited).signal).toBe('SIGKILL');
        kills.consumer++;
        consumer = await start('consumer');
        for (const [index, victim] of VICTIMS.entries()) {
          const n = index + 1;
          const before = handled();
          committed += await batch(n);
          // Mid-flow: the batch is committed and its first events are arriving on the other side.
          await expect.poll(handled, { timeout: 10_000, interval: 5 }).toBeGreaterThan(before);
          kills[victim]++;
          if (victim === 'relay') {
            relay.process.kill('SIGKILL');
            await relay.exited;
            relay = await start('relay');
          } else if (victim === 'consumer') {
            consumer.process.kill('SIGKILL');
            await consumer.exited;
            consumer = await start('consumer');
          } else {
            server.kill();
            await server.restart();
          }
        }
        const rows = () =>
          billing.connection
            .prepare<[], { rows: number; distinct: number }>(
              'SELECT count(*) AS rows, count(DISTINCT booking) AS "distinct" FROM invoices',
            )
            .get()!;
        await expect.poll(() => rows().distinct, { timeout: 20_000 }).toBe(committed);
        const duplicates = lines().filter((line) => line.startsWith('duplicate ')).length;
        const check = await connect({ servers: server.url });
        const inStream = (await (await jetstreamManager(check)).streams.info(stream)).state.messages;
        await check.close();
        console.log(
          `kills: relay ${kills.relay}, consumer ${kills.consumer}, nats-server ${kills.nats}; events committed ` +
            `${committed}, in the stream ${inStream}, handled ${rows().rows}, duplicates suppressed by the inbox ${duplicates}`,
        );
        expect(rows()).toEqual({ rows: committed, distinct: committed });
        expect(await hotel.events.head()).toBe(committed);
        // What a killed relay published again was dropped by JetStream by its Nats-Msg-Id.
        expect(inStream).toBe(committed);
        // The consumer that killed itself before acking left at least that message to come again.
        expect(duplicates).toBeGreaterThanOrEqual(1);
      } finally {
        for (const child of children) child.process.kill('SIGKILL');
        await Promise.all(children.map((child) => child.exited));
        await server.stop();
      }
    },
    ROUNDS * 120_000,
  );
});
