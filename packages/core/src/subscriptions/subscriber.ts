import type { RecordedEvent } from '../event-store/records.js';
import type { EventDefinition, PayloadOf } from '../messages/define.js';
import { checkName, HandlerTable } from '../messages/handler-table.js';
import type { Logger } from '../runtime/logger.js';

/** What a side-effect handler gets besides the event data. */
export interface SubscriberContext<D = unknown> {
  /** The event as recorded: its position, stream, version and time. */
  readonly event: RecordedEvent<string, D>;
  /** 1 on the first try, then 2, 3… on retries (and on replays of a dead letter). */
  readonly attempt: number;
  /** Aborts when the runner stops; pass it to outgoing calls. */
  readonly signal: AbortSignal;
  /** The runner's logger. */
  readonly logger: Logger;
}

/** A subscriber's handler of one event type: the event's data and its context; what it returns is ignored. */
export type SubscriberHandler<D> = (data: D, ctx: SubscriberContext<D>) => unknown;

/**
 * A side-effect subscriber: reacts to events with effects outside the read models (send an email, call a payment
 * service). It runs asynchronously with its own checkpoint; effects are at-least-once, so make them idempotent
 * (the event's position or stream version makes a good idempotency key).
 */
export interface Subscriber {
  /** Its name: the key of its checkpoint and of its dead letters. */
  readonly name: string;
  /** The event types it has a handler for; the runner hands it no other. */
  readonly eventTypes: ReadonlySet<string>;
  /** Runs the handler of the event's type (nothing for a type it does not handle); a rejection is retried. */
  handle(event: RecordedEvent, ctx: SubscriberContext): Promise<unknown>;
}

/** What {@link subscriber} returns: a {@link Subscriber} that takes one `.on()` per event type. */
export interface SubscriberBuilder extends Subscriber {
  /** Adds the handler of one event type; a second handler for the same type is refused (INVALID_ARGUMENT). */
  on<D extends EventDefinition>(event: D, handler: SubscriberHandler<PayloadOf<D>>): SubscriberBuilder;
}

/**
 * Defines a side-effect subscriber, one handler per event type.
 *
 * @example
 * const refunds = subscriber('billing.refunds').on(BookingCancelled, async ({ bookingId }, { event }) => {
 *   await payments.refund(bookingId, { idempotencyKey: `refund-${event.position}` });
 * });
 */
export function subscriber(name: string): SubscriberBuilder {
  checkName(name, 'subscriber()');
  const table = new HandlerTable<SubscriberHandler<unknown>>(`subscriber('${name}')`);
  const builder: SubscriberBuilder = {
    name,
    eventTypes: table.eventTypes,
    on(definition, handler) {
      table.add(definition, handler as SubscriberHandler<unknown>);
      return builder;
    },
    async handle(event, ctx) {
      return table.get(event.type)?.(event.data, ctx);
    },
  };
  return builder;
}
