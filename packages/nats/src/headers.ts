/**
 * The headers an event carries over NATS, beside `Nats-Msg-Id` (the event id, by which JetStream drops a
 * message published twice within the stream's duplicate window).
 *
 * - `type` (`Twofold-Event-Type`): the event type, also the end of the subject.
 * - `position` (`Twofold-Position`): the event's global position in the publishing service's log.
 * - `correlationId` (`Twofold-Correlation-Id`), `causationId` (`Twofold-Causation-Id`): from the event's
 *   metadata, when it has them.
 * - `traceparent`: the W3C trace context from the event's metadata, when it has one.
 *
 * @example
 * import { NATS_HEADERS } from '@twofold/nats';
 * msg.headers?.get(NATS_HEADERS.position); // '42'
 */
export const NATS_HEADERS = Object.freeze({
  type: 'Twofold-Event-Type',
  position: 'Twofold-Position',
  correlationId: 'Twofold-Correlation-Id',
  causationId: 'Twofold-Causation-Id',
  traceparent: 'traceparent',
} as const);
