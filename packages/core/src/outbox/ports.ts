import type { RecordedEvent } from '../event-store/records.js';

/** A message for another system (a broker topic, a webhook), written in the same transaction as a command. */
export interface NewOutboxMessage {
  /** Where it goes: a topic, a queue, a URL; the relay's `send` decides what it means. */
  readonly topic: string;
  readonly payload: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Unique; lets the receiver drop a message delivered twice. Default: a new UUID. */
  readonly id?: string;
}

/** A message in the outbox, as a relay claims it. */
export interface OutboxMessage {
  readonly id: string;
  readonly topic: string;
  readonly payload: unknown;
  readonly headers: Readonly<Record<string, string>>;
  /** When it was written, in ms since the epoch. */
  readonly createdAt: number;
  /** Deliveries tried so far, this one included. */
  readonly attempts: number;
  /** The error of the last failed delivery, as text. */
  readonly lastError: string | undefined;
}

/**
 * The transactional outbox: messages are written inside a write store's transaction (so they exist if and only if
 * the command committed), and relays claim, deliver and complete them afterwards. Delivery is at least once: a
 * relay that dies after sending and before completing leaves the message to be sent again once its lease ends.
 */
export interface OutboxStore<Tx = unknown> {
  /** Writes `messages` within the write store's transaction `tx` (a unit-of-work participant calls it). */
  enqueue(tx: Tx, messages: readonly NewOutboxMessage[]): void | Promise<void>;
  /**
   * Takes up to `limit` messages that are due, oldest first, for `leaseMs`: other relays skip them meanwhile,
   * and get them back if this one neither completes nor fails them in time.
   */
  claim(limit: number, leaseMs: number): Promise<readonly OutboxMessage[]>;
  /** Removes delivered messages. */
  complete(ids: readonly string[]): Promise<void>;
  /** Records a failed delivery: the message is due again at `retryAt`, or parked for good when it is undefined. */
  fail(id: string, error: string, retryAt: number | undefined): Promise<void>;
  /** Messages parked after their last attempt, oldest first. */
  parked(): Promise<readonly OutboxMessage[]>;
  /** Makes a parked message due again now. */
  retry(id: string): Promise<void>;
}

/**
 * A unit-of-work participant that writes the messages `map` makes of a commit's events into the outbox, in the
 * same transaction. Add it to `writeModels({ participants })`.
 *
 * @example
 * const toBroker = outboxParticipant(outbox, (events) =>
 *   events.filter((e) => e.type === 'hotel.RoomBooked').map((e) => ({ topic: 'bookings', payload: e.data, id: e.id })));
 * const models = writeModels({ store, participants: [toBroker] });
 */
export function outboxParticipant<Tx>(
  store: OutboxStore<Tx>,
  map: (events: readonly RecordedEvent[]) => readonly NewOutboxMessage[],
): (tx: Tx, events: readonly RecordedEvent[]) => void | Promise<void> {
  return (tx, events) => {
    const messages = map(events);
    if (messages.length > 0) return store.enqueue(tx, messages);
  };
}
