import type { RecordedEvent } from '../event-store/records.js';
import type { EventDefinition, PayloadOf } from '../messages/define.js';
import { checkName, HandlerTable } from '../messages/handler-table.js';
import type { Logger } from '../runtime/logger.js';

/** What a side-effect handler gets besides the event data. */
export interface SubscriberContext<D = unknown> {
  readonly event: RecordedEvent<string, D>;
  /** 1 on the first try, then 2, 3… on retries (and on replays of a dead letter). */
  readonly attempt: number;
  /** Aborts when the runner stops; pass it to outgoing calls. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

export type SubscriberHandler<D> = (data: D, ctx: SubscriberContext<D>) => unknown;

/**
 * A side-effect subscriber: reacts to events with effects outside the read models (send an email, call a payment
 * service). It runs asynchronously with its own checkpoint; effects are at-least-once, so make them idempotent
 * (the event's position or stream version makes a good idempotency key).
 */
export interface Subscriber {
  readonly name: string;
  readonly eventTypes: ReadonlySet<string>;
  handle(event: RecordedEvent, ctx: SubscriberContext): Promise<unknown>;
}

export interface SubscriberBuilder extends Subscriber {
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
