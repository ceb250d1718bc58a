import { defineEvent, type GlobalPosition, type Logger, SubscriberRunner, streamId, subscriber } from '@twofold/core';
import { subscriptionStoresContract } from '@twofold/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { usePostgres } from '../../tests/server.js';
import { PostgresCheckpointStore, PostgresDeadLetterStore, PostgresStore } from '../index.js';

const postgres = usePostgres();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
async function stores(schema = postgres.schema()) {
  const checkpoints = await PostgresCheckpointStore.open({ connection: postgres.url, schema });
  const deadLetters = await PostgresDeadLetterStore.open({ connection: postgres.url, schema });
  closers.push(
    () => checkpoints.close(),
    () => deadLetters.close(),
  );
  return { checkpoints, deadLetters };
}

subscriptionStoresContract('PostgresCheckpointStore and PostgresDeadLetterStore', () => {
  const schema = postgres.schema();
  return {
    open: async () => {
      const checkpoints = await PostgresCheckpointStore.open({ connection: postgres.url, schema });
      const deadLetters = await PostgresDeadLetterStore.open({ connection: postgres.url, schema });
      return {
        checkpoints,
        deadLetters,
        close: async () => void (await Promise.all([checkpoints.close(), deadLetters.close()])),
      };
    },
  };
});

describe('PostgresCheckpointStore and PostgresDeadLetterStore', () => {
  it('serve a SubscriberRunner on the PostgreSQL log: a failing event is parked, the others are handled', async () => {
    const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
    const Booked = defineEvent('hotel.RoomBooked', z.object({ roomId: z.string() }));
    const schema = postgres.schema();
    const log = await PostgresStore.open({ connection: postgres.url, schema });
    closers.push(() => log.close());
    const positions: GlobalPosition[] = [];
    for (const roomId of ['r1', 'bad', 'r3']) {
      positions.push((await log.append(streamId('booking', 1), [{ type: Booked.type, data: { roomId } }])).position!);
    }
    const handled: string[] = [];
    const emails = subscriber('emails').on(Booked, ({ roomId }) => {
      if (roomId === 'bad') throw new Error('cannot send');
      handled.push(roomId);
    });
    const { checkpoints, deadLetters } = await stores(schema);
    const runner = new SubscriberRunner({
      subscriber: emails,
      feed: log,
      checkpoints,
      deadLetters,
      attempts: 2,
      retryDelayMs: 1,
      logger: quiet,
    });
    runner.start();
    await expect.poll(() => checkpoints.get('emails')).toBe(positions[2]);
    await runner.stop();
    expect(handled).toEqual(['r1', 'r3']);
    const [parked] = await deadLetters.list('emails');
    expect(parked).toMatchObject({
      subscriber: 'emails',
      attempts: 2,
      event: { position: positions[1], data: { roomId: 'bad' } },
    });
    expect(parked?.error).toContain('cannot send');
  });
});
