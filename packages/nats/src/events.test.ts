import type { GlobalPosition, OutboxMessage, RecordedEvent, StreamId } from '@twofold/core';
import { describe, expect, it } from 'vitest';
import { eventOfOutboxMessage, natsMessage } from './events.js';

const event: RecordedEvent = {
  id: '0193d6c2-5a1e-7000-8000-000000000001',
  type: 'hotel.RoomBooked',
  data: { bookingId: 'b1' },
  metadata: { correlationId: 'c1' },
  streamId: 'booking-b1' as StreamId,
  streamVersion: 1,
  position: 42 as GlobalPosition,
  timestamp: 1_700_000_000_000,
  schemaVersion: 2,
};

// What an outbox store gives back for a message written with `natsMessage`.
const row = (message = natsMessage(event)): OutboxMessage => ({
  ...message,
  id: event.id,
  headers: message.headers ?? {},
  createdAt: 0,
  attempts: 1,
  lastError: undefined,
});

describe('eventOfOutboxMessage', () => {
  it('reads back the event natsOutbox wrote into the outbox', () => {
    expect(eventOfOutboxMessage(row())).toEqual(event);
  });

  it('refuses a row natsOutbox did not write with CORRUPT_DATA', () => {
    const written = row();
    for (const bad of [
      { ...written, headers: {} },
      { ...written, headers: { ...written.headers, 'Twofold-Position': 'x' } },
      { ...written, payload: { data: 1 } },
      { ...written, payload: null },
    ]) {
      expect(() => eventOfOutboxMessage(bad)).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
    }
  });
});
