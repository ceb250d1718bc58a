import type { JsMsg } from '@nats-io/jetstream';
import type { DeadLetter, GlobalPosition, RecordedEvent, StreamId } from '@twofold/core';
import { describeError } from '@twofold/core/adapters';

/**
 * The dead letter of a message the consumer gives up on. One per message and consumer (parking it again
 * replaces it). A message that is no event gets one made of what it holds: its subject as the type and stream,
 * its body as text for the data.
 */
export function deadLetterOf(
  consumer: string,
  message: JsMsg,
  event: RecordedEvent | undefined,
  error: unknown,
): DeadLetter {
  const received: RecordedEvent = event ?? {
    id: message.headers?.get('Nats-Msg-Id') || `${message.info.stream}-${message.seq}`,
    type: message.subject,
    data: message.string(),
    metadata: {},
    streamId: message.subject as StreamId,
    streamVersion: 0,
    position: 0 as GlobalPosition,
    timestamp: Math.floor(message.info.timestampNanos / 1e6),
    schemaVersion: 1,
  };
  return {
    id: `${consumer}:${received.id}`,
    subscriber: consumer,
    event: received,
    error: describeError(error),
    attempts: message.info.deliveryCount,
    at: Date.now(),
  };
}
