import {
  type DeadLetter,
  defineEvent,
  type GlobalPosition,
  type Logger,
  START,
  type StreamId,
  SubscriberRunner,
  streamId,
  subscriber,
} from '@twofold/core';
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

const letter = (id: string, subscriberName: string, at: number, position: number): DeadLetter => ({
  id,
  subscriber: subscriberName,
  event: {
    id: `e${position}`,
    type: 'hotel.RoomBooked',
    data: { roomId: 'r1' },
    metadata: { correlationId: 'c' },
    streamId: 'booking-1' as StreamId,
    streamVersion: 1,
    position: position as GlobalPosition,
    timestamp: 1,
    schemaVersion: 1,
  },
  error: 'Error: mail server down\n    at send',
  attempts: 5,
  at,
});

describe('PostgresCheckpointStore and PostgresDeadLetterStore', () => {
  it('keep checkpoints and dead letters, seen from another node', async () => {
    const schema = postgres.schema();
    const first = await stores(schema);
    expect(await first.checkpoints.get('emails')).toBe(START);
    await first.checkpoints.set('emails', 5 as GlobalPosition);
    await first.checkpoints.set('emails', 7 as GlobalPosition);
    await first.deadLetters.add(letter('d2', 'emails', 20, 3));
    await first.deadLetters.add(letter('d1', 'emails', 10, 4));
    await first.deadLetters.add(letter('d3', 'billing', 15, 5));

    const other = await stores(schema);
    expect(await other.checkpoints.get('emails')).toBe(7);
    expect(await other.checkpoints.get('other')).toBe(START);
    expect((await other.deadLetters.list()).map((l) => l.id)).toEqual(['d1', 'd3', 'd2']);
    expect((await other.deadLetters.list('emails')).map((l) => l.id)).toEqual(['d1', 'd2']);
    expect(await other.deadLetters.get('d1')).toEqual(letter('d1', 'emails', 10, 4));
    await other.deadLetters.remove('d1');
    expect(await first.deadLetters.get('d1')).toBeUndefined();
  });

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
