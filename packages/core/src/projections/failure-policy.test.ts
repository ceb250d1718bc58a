import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryDeadLetterStore } from '../dead-letters/memory.js';
import { PositionAheadOfLogError, ProjectionStoppedError } from '../errors/errors.js';
import { MemoryStore } from '../event-store/memory-store.js';
import { streamId } from '../event-store/records.js';
import { createMediator } from '../mediator/mediator.js';
import { defineEvent, defineQuery } from '../messages/define.js';
import type { GlobalPosition } from '../positions/position.js';
import type { Logger } from '../runtime/logger.js';
import type { DocumentTx } from './documents.js';
import { MemoryDocumentStore } from './memory-store.js';
import { projection } from './projection.js';
import { type ProjectionFailurePolicy, ProjectionRunner } from './runner.js';

const RoomBooked = defineEvent('hotel.RoomBooked', z.object({ bookingId: z.string() }));
const Bookings = defineQuery('hotel.Bookings', z.object({}), z.array(z.string()));
const Recent = defineQuery('hotel.Recent', z.object({}), z.number());
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A log of three bookings whose second no projection can apply, a runner on it, and a query that reads it. */
async function poisoned(onFailure: ProjectionFailurePolicy, consistencyTimeout = 30_000) {
  const log = new MemoryStore();
  for (const bookingId of ['b1', 'poison', 'b3']) {
    await log.append(streamId('booking', bookingId), [{ type: RoomBooked.type, data: { bookingId } }]);
  }
  const store = new MemoryDocumentStore();
  const deadLetters = new MemoryDeadLetterStore();
  const view = projection<DocumentTx>('bookings').on(RoomBooked, ({ bookingId }, tx) => {
    if (bookingId === 'poison') throw new Error('invalid input syntax for type json');
    tx.collection('bookings').put(bookingId, { bookingId });
  });
  const runner = new ProjectionRunner({
    projection: view,
    store,
    feed: log,
    onFailure,
    deadLetters,
    attempts: 2,
    retryDelayMs: 5,
    logger: quiet,
  });
  const read = async () =>
    (await store.read('bookings').collection<{ bookingId: string }>('bookings').find()).map((b) => b.bookingId);
  const mediator = createMediator({ consistencyTimeout, logger: quiet })
    .query(Bookings, read, { reads: [runner.progress] })
    .query(Recent, () => 0);
  return { log, runner, mediator, deadLetters, read };
}

describe("a projection's failure policy", () => {
  it("'stop' (the default) stays at the failing event, and a query already waiting beyond it fails at once", async () => {
    const { runner, mediator } = await poisoned('stop');
    // Asked before the runner starts, so it is waiting when the projection stops; the timeout is far away.
    const waiting = mediator.ask(Bookings, {}, { after: 3 as GlobalPosition }).catch((e: unknown) => e);
    runner.start();
    try {
      const error = await waiting;
      expect(error).toBeInstanceOf(ProjectionStoppedError);
      expect(error).toMatchObject({ code: 'PROJECTION_STOPPED', projection: 'bookings', position: 1, after: 3 });

      // A wait that ran into the 30 s timeout would be CONSISTENCY_TIMEOUT (and outlast the test's own timeout).
      await expect(mediator.ask(Bookings, {}, { after: 2 as GlobalPosition })).rejects.toMatchObject({
        code: 'PROJECTION_STOPPED',
      });
      // Up to where it stopped, it still answers; with allowStale, beyond it too.
      await expect(mediator.ask(Bookings, {}, { after: 1 as GlobalPosition })).resolves.toEqual(['b1']);
      await expect(mediator.ask(Bookings, {}, { after: 3 as GlobalPosition, allowStale: true })).resolves.toEqual([
        'b1',
      ]);

      const status = await runner.status();
      expect(status).toMatchObject({ state: 'failing', position: 1, lagEvents: 2, onFailure: 'stop', parked: 0 });
      expect(status.failure?.position).toBe(2);
      expect(String(status.failure?.error)).toContain('invalid input syntax');
    } finally {
      await runner.stop();
    }
  });

  it("'park' puts the event in the dead-letter store with its error after its tries, and goes on", async () => {
    const { runner, mediator, deadLetters } = await poisoned('park');
    runner.start();
    try {
      await expect(mediator.ask(Bookings, {}, { after: 3 as GlobalPosition })).resolves.toEqual(['b1', 'b3']);
      const letters = await deadLetters.list('bookings');
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ id: 'bookings:2', subscriber: 'bookings', attempts: 2 });
      expect(letters[0]?.event).toMatchObject({ position: 2, data: { bookingId: 'poison' } });
      expect(letters[0]?.error).toContain('invalid input syntax');
      expect(await runner.status()).toMatchObject({
        state: 'running',
        position: 3,
        failure: undefined,
        onFailure: 'park',
        parked: 1,
      });
    } finally {
      await runner.stop();
    }
  });

  it('checks its options', () => {
    const view = projection<DocumentTx>('v').on(RoomBooked, () => undefined);
    const base = { projection: view, store: new MemoryDocumentStore(), feed: new MemoryStore() };
    expect(() => new ProjectionRunner({ ...base, onFailure: 'skip' as never })).toThrow(/'stop' or 'park'/);
    expect(() => new ProjectionRunner({ ...base, onFailure: 'park' })).toThrow(/needs options.deadLetters/);
    expect(
      () => new ProjectionRunner({ ...base, onFailure: 'park', deadLetters: new MemoryDeadLetterStore(), attempts: 0 }),
    ).toThrow(/attempts/);
  });
});

describe('a read position the log has not reached', () => {
  it('fails at once with POSITION_AHEAD_OF_LOG instead of waiting out the timeout', async () => {
    const { runner, mediator, log } = await poisoned('park', 30_000);
    runner.start();
    await runner.progress.waitFor(3 as GlobalPosition, AbortSignal.timeout(5_000));
    await runner.stop();
    for (const after of [Number.MAX_SAFE_INTEGER, (await log.head()) + 1]) {
      // Not CONSISTENCY_TIMEOUT: the 30 s wait never ran (and would outlast the test's own timeout).
      const error = await mediator.ask(Bookings, {}, { after: after as GlobalPosition }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PositionAheadOfLogError);
      expect(error).toMatchObject({ code: 'POSITION_AHEAD_OF_LOG', after });
    }
    await expect(mediator.ask(Bookings, {}, { after: await log.head() })).resolves.toEqual(['b1', 'b3']);
  });

  it('is not checked by a query that reads no read model, and the mediator says which those are', async () => {
    const { mediator } = await poisoned('stop');
    await expect(mediator.ask(Recent, {}, { after: Number.MAX_SAFE_INTEGER as GlobalPosition })).resolves.toBe(0);
    expect(mediator.readModels(Recent)).toEqual([]);
    expect(mediator.readModels(Bookings)).toEqual(['bookings']);
    expect(mediator.readModels(defineQuery('x.None', z.object({}), z.number()))).toBeUndefined();
  });
});
