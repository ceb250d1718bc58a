import {
  type DeadLetter,
  defineEvent,
  type GlobalPosition,
  type Logger,
  MemoryStore,
  START,
  type StreamId,
  SubscriberRunner,
  subscriber,
} from '@twofold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { tempDir } from '../../tests/temp-dir.js';
import { SqliteCheckpointStore, SqliteDeadLetterStore } from '../index.js';

const temp = tempDir();
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});
function stores(path = temp.file('subscriptions')) {
  const checkpoints = new SqliteCheckpointStore({ path });
  const deadLetters = new SqliteDeadLetterStore({ path });
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

describe('SqliteCheckpointStore and SqliteDeadLetterStore', () => {
  it('keep checkpoints and dead letters across a reopen', async () => {
    const path = temp.file('subscriptions');
    const first = stores(path);
    expect(await first.checkpoints.get('emails')).toBe(START);
    await first.checkpoints.set('emails', 5 as GlobalPosition);
    await first.checkpoints.set('emails', 7 as GlobalPosition);
    await first.deadLetters.add(letter('d2', 'emails', 20, 3));
    await first.deadLetters.add(letter('d1', 'emails', 10, 4));
    await first.deadLetters.add(letter('d3', 'billing', 15, 5));
    first.checkpoints.close();
    first.deadLetters.close();

    const again = stores(path);
    expect(await again.checkpoints.get('emails')).toBe(7);
    expect(await again.checkpoints.get('other')).toBe(START);
    expect((await again.deadLetters.list()).map((l) => l.id)).toEqual(['d1', 'd3', 'd2']);
    expect((await again.deadLetters.list('emails')).map((l) => l.id)).toEqual(['d1', 'd2']);
    expect(await again.deadLetters.get('d1')).toEqual(letter('d1', 'emails', 10, 4));
    await again.deadLetters.remove('d1');
    expect(await again.deadLetters.get('d1')).toBeUndefined();
  });

  it('serve a SubscriberRunner: a failing event is parked with its error, the others are handled', async () => {
    const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
    const Booked = defineEvent('hotel.RoomBooked', z.object({ roomId: z.string() }));
    const log = new MemoryStore();
    for (const roomId of ['r1', 'bad', 'r3'])
      await log.append('booking-1' as StreamId, [{ type: Booked.type, data: { roomId } }]);
    const handled: string[] = [];
    const emails = subscriber('emails').on(Booked, ({ roomId }) => {
      if (roomId === 'bad') throw new Error('cannot send');
      handled.push(roomId);
    });
    const { checkpoints, deadLetters } = stores();
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
    await expect.poll(() => checkpoints.get('emails')).toBe(3);
    await runner.stop();
    expect(handled).toEqual(['r1', 'r3']);
    const [parked] = await deadLetters.list('emails');
    expect(parked).toMatchObject({
      subscriber: 'emails',
      attempts: 2,
      event: { position: 2, data: { roomId: 'bad' } },
    });
    expect(parked?.error).toContain('cannot send');
  });
});
