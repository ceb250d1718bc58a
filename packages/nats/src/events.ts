import {
  CorruptDataError,
  type GlobalPosition,
  type NewOutboxMessage,
  type OutboxMessage,
  type OutboxStore,
  outboxParticipant,
  type RecordedEvent,
  type StreamId,
} from '@twofold/core';
import { NATS_HEADERS } from './headers.js';
import { checkEventType } from './subjects.js';

/** What a published event's body holds (the rest travels in the subject and headers). */
interface Body {
  readonly streamId: string;
  readonly streamVersion: number;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly timestamp: number;
  readonly schemaVersion: number;
}

/** The outbox message of an event bound for NATS: its id, its type as the topic, its headers. */
export function natsMessage(event: RecordedEvent): NewOutboxMessage {
  checkEventType(event.type);
  const headers: Record<string, string> = {
    [NATS_HEADERS.type]: event.type,
    [NATS_HEADERS.position]: String(event.position),
  };
  const { correlationId, causationId, traceparent } = event.metadata;
  if (typeof correlationId === 'string') headers[NATS_HEADERS.correlationId] = correlationId;
  if (typeof causationId === 'string') headers[NATS_HEADERS.causationId] = causationId;
  if (typeof traceparent === 'string') headers[NATS_HEADERS.traceparent] = traceparent;
  const body: Body = {
    streamId: event.streamId,
    streamVersion: event.streamVersion,
    data: event.data,
    metadata: event.metadata,
    timestamp: event.timestamp,
    schemaVersion: event.schemaVersion,
  };
  return { id: event.id, topic: event.type, payload: body, headers };
}

/**
 * A unit-of-work participant that writes the committed events (of the given types, or all) into the outbox, in
 * the command's own transaction, for {@link natsRelay} to publish. An event type must fit a NATS subject (see
 * {@link natsRelay}); one that does not fails the commit with INVALID_ARGUMENT, writing nothing.
 *
 * @example
 * const models = writeModels({ store: db.events, participants: [natsOutbox(db.outbox, { types: ['hotel.RoomBooked'] })] });
 */
export function natsOutbox<Tx>(
  outbox: OutboxStore<Tx>,
  options: { readonly types?: readonly string[] } = {},
): (tx: Tx, events: readonly RecordedEvent[]) => void | Promise<void> {
  const types = options.types === undefined ? undefined : new Set(options.types);
  return outboxParticipant(outbox, (events) =>
    events.filter((event) => types === undefined || types.has(event.type)).map(natsMessage),
  );
}

/** The parts of a received JetStream message the event is read from. */
export interface Delivered {
  readonly subject: string;
  readonly headers?: { get(name: string): string } | undefined;
  readonly data: Uint8Array;
}

/** Reads the event back from a message {@link natsRelay} published; CORRUPT_DATA when it is not one. */
export function eventOf(message: Delivered): RecordedEvent {
  const header = (name: string) => message.headers?.get(name) ?? '';
  const id = header('Nats-Msg-Id');
  const type = header(NATS_HEADERS.type);
  const position = Number(header(NATS_HEADERS.position));
  const where = `NATS message on ${message.subject}`;
  if (id === '' || type === '')
    throw new CorruptDataError(`${where} has no Nats-Msg-Id or ${NATS_HEADERS.type} header`);
  if (!Number.isSafeInteger(position) || position < 1) {
    throw new CorruptDataError(
      `${where}: ${NATS_HEADERS.position} must be a position; got '${header(NATS_HEADERS.position)}'`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(message.data));
  } catch (error) {
    throw new CorruptDataError(`${where}: the body is not JSON`, { cause: error });
  }
  return eventFrom(id, type, position, body, `${where}: the body is not an event published by natsRelay`);
}

/**
 * Reads the event back from a row {@link natsOutbox} wrote into an outbox, for a relay that hands events to a
 * receiver in the same process rather than to NATS; CORRUPT_DATA when the row is not one `natsOutbox` wrote.
 *
 * @example
 * const relay = new OutboxRelay({ store: db.outbox, send: async (message) => deliver(eventOfOutboxMessage(message)) });
 */
export function eventOfOutboxMessage(message: OutboxMessage): RecordedEvent {
  const type = message.headers[NATS_HEADERS.type];
  const position = Number(message.headers[NATS_HEADERS.position]);
  const where = `Outbox message ${message.id}`;
  if (type === undefined || !Number.isSafeInteger(position) || position < 1) {
    throw new CorruptDataError(`${where} has no ${NATS_HEADERS.type} or ${NATS_HEADERS.position} header`);
  }
  return eventFrom(message.id, type, position, message.payload, `${where} is not an event natsOutbox wrote`);
}

// The event of a body natsMessage made, with what travels beside it (id, type, position).
function eventFrom(id: string, type: string, position: number, body: unknown, notAnEvent: string): RecordedEvent {
  const event = body as Partial<Body> | null;
  if (typeof event !== 'object' || event === null || typeof event.streamId !== 'string' || !('data' in event)) {
    throw new CorruptDataError(notAnEvent);
  }
  return {
    id,
    type,
    data: event.data,
    metadata: event.metadata ?? {},
    streamId: event.streamId as StreamId,
    streamVersion: event.streamVersion as number,
    position: position as GlobalPosition,
    timestamp: event.timestamp as number,
    schemaVersion: event.schemaVersion ?? 1,
  };
}
