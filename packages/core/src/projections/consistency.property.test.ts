import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError, isTwofoldError } from '../errors/errors.js';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import { createMediator } from '../mediator/mediator.js';
import { defineCommand, defineEvent } from '../messages/define.js';
import type { Logger } from '../runtime/logger.js';
import { defineDecider } from '../write-model/models.js';
import { writeModels } from '../write-model/write-models.js';
import type { DocumentTx, InlineDocumentTx } from './documents.js';
import { inlineProjection } from './inline.js';
import { MemoryDocumentStore } from './memory-store.js';
import { projection } from './projection.js';
import { ProjectionRunner } from './runner.js';

const Book = defineCommand('test.Book', z.object({ bookingId: z.string(), roomId: z.string() }));
const Extend = defineCommand('test.Extend', z.object({ bookingId: z.string(), nights: z.number() }));
const Cancel = defineCommand('test.Cancel', z.object({ bookingId: z.string() }));
const Booked = defineEvent('test.Booked', z.object({ bookingId: z.string(), roomId: z.string() }));
const Extended = defineEvent('test.Extended', z.object({ bookingId: z.string(), nights: z.number() }));
const Cancelled = defineEvent('test.Cancelled', z.object({ bookingId: z.string() }));

const booking = defineDecider({
  name: 'booking',
  commands: [Book, Extend, Cancel],
  events: [Booked, Extended, Cancelled],
  initialState: () => 'none' as 'none' | 'booked' | 'cancelled',
  evolve: (_, event) => (event.type === 'test.Cancelled' ? 'cancelled' : 'booked'),
  decide: (command, state) => {
    switch (command.type) {
      case 'test.Book':
        if (state !== 'none') throw new DomainError('EXISTS', 'exists');
        return [{ type: 'test.Booked', data: command.data }];
      case 'test.Extend':
        if (state !== 'booked') throw new DomainError('NOT_BOOKED', 'not booked');
        return [{ type: 'test.Extended', data: command.data }];
      case 'test.Cancel':
        if (state !== 'booked') throw new DomainError('NOT_BOOKED', 'not booked');
        return [{ type: 'test.Cancelled', data: command.data }];
      default:
        return command satisfies never;
    }
  },
});

type View = { bookingId: string; roomId: string; nights: number; status: string };
// The same read model twice: applied by a runner (asynchronous) and inline (in the synchronous write transaction).
const bookings = projection<DocumentTx>('bookings')
  .on(Booked, ({ bookingId, roomId }, tx) =>
    tx.collection<View>('bookings').put(bookingId, { bookingId, roomId, nights: 1, status: 'booked' }),
  )
  .on(Extended, async ({ bookingId, nights }, tx) => {
    const view = tx.collection<View>('bookings');
    const current = await view.get(bookingId);
    if (current) await view.update(bookingId, { nights: current.nights + nights });
  })
  .on(Cancelled, async ({ bookingId }, tx) => {
    await tx.collection<View>('bookings').update(bookingId, { status: 'cancelled' });
  });
const inlineBookings = projection<InlineDocumentTx>('bookings')
  .on(Booked, ({ bookingId, roomId }, tx) =>
    tx.collection<View>('bookings').put(bookingId, { bookingId, roomId, nights: 1, status: 'booked' }),
  )
  .on(Extended, ({ bookingId, nights }, tx) => {
    const view = tx.collection<View>('bookings');
    const current = view.get(bookingId);
    if (current) view.update(bookingId, { nights: current.nights + nights });
  })
  .on(Cancelled, ({ bookingId }, tx) => {
    tx.collection<View>('bookings').update(bookingId, { status: 'cancelled' });
  });

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const ids = fc.constantFrom('b1', 'b2', 'b3', 'b4');
const command = fc.oneof(
  fc.record({ kind: fc.constant('book' as const), bookingId: ids, roomId: fc.constantFrom('r1', 'r2', 'r3') }),
  fc.record({ kind: fc.constant('extend' as const), bookingId: ids, nights: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('cancel' as const), bookingId: ids }),
);

describe('projection consistency (property)', () => {
  it('for any commands, the async projection after catch-up equals the inline one, and both equal a fresh rebuild', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        async (commands, batchSize) => {
          const store = new MemoryStore();
          const inlineDocs = new MemoryDocumentStore();
          const asyncDocs = new MemoryDocumentStore();
          await new ProjectionRunner({
            projection: inlineBookings,
            store: inlineDocs.inline,
            feed: store,
            logger: quiet,
          }).catchUp();
          const inline = inlineProjection(inlineBookings, inlineDocs.inline);
          const models = writeModels({ store, participants: [inline.participant], retryDelayMs: 0 });
          const stream = ({ data }: { data: { bookingId: string } }) => streamId('booking', data.bookingId);
          const mediator = createMediator({ logger: quiet })
            .command(Book, models.eventSourced(booking, { stream }))
            .command(Extend, models.eventSourced(booking, { stream }))
            .command(Cancel, models.eventSourced(booking, { stream }));
          const runner = new ProjectionRunner({
            projection: bookings,
            store: asyncDocs,
            feed: store,
            batchSize,
            logger: quiet,
          });
          runner.start();
          try {
            for (const c of commands) {
              const sent =
                c.kind === 'book'
                  ? mediator.send(Book, { bookingId: c.bookingId, roomId: c.roomId })
                  : c.kind === 'extend'
                    ? mediator.send(Extend, { bookingId: c.bookingId, nights: c.nights })
                    : mediator.send(Cancel, { bookingId: c.bookingId });
              await sent.catch((error: unknown) => {
                if (!isTwofoldError(error, 'DOMAIN_RULE')) throw error;
              });
            }
            await runner.progress.waitFor(await store.head(), AbortSignal.timeout(10_000));
          } finally {
            await runner.stop();
          }
          const rebuilt = new MemoryDocumentStore();
          await new ProjectionRunner({
            projection: bookings,
            store: rebuilt,
            feed: store,
            batchSize,
            logger: quiet,
          }).catchUp();

          const view = (docs: MemoryDocumentStore) => docs.read(bookings).collection<View>('bookings').find();
          expect(await view(asyncDocs)).toEqual(await view(inlineDocs));
          expect(await view(rebuilt)).toEqual(await view(inlineDocs));
          expect(await inlineDocs.checkpoint({ projection: 'bookings', version: 1 })).toBe(
            commands.length === 0 ? 0 : await store.head(),
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});
