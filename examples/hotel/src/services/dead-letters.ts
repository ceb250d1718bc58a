import {
  consoleLogger,
  DomainError,
  defineCommand,
  defineQuery,
  type Logger,
  type Mediator,
  NotFoundError,
} from '@twofold/core';
import { z } from 'zod';
import { type Receiver, replayDeadLetter } from './transport.js';

export const DeadLetterView = z.object({
  id: z.string(),
  /** Who could not take it in: `billing` (the hotel's refund requests) or `hotel` (billing's replies). */
  consumer: z.string(),
  type: z.string(),
  streamId: z.string(),
  attempts: z.number(),
  at: z.number(),
  problem: z.string(),
});
export type DeadLetterView = z.infer<typeof DeadLetterView>;

export const ServiceDeadLetters = defineQuery('hotel.ServiceDeadLetters', z.object({}), z.array(DeadLetterView), {
  description:
    'The events between the hotel and billing that their receiver could not take in after its deliveries, parked, oldest first: what and where in `problem`; the error itself is only in the server log.',
});

export const ReplayDeadLetter = defineCommand(
  'hotel.ReplayDeadLetter',
  z.object({ id: z.string().trim().min(1).max(300) }),
  {
    description:
      'Runs a parked event of hotel.ServiceDeadLetters again, once its cause is fixed, and removes it when it took effect. 404 when no such dead letter is parked; 422 STILL_FAILING when it fails again: it stays parked, with one more attempt, and the error goes to the server log.',
  },
);

/**
 * The dead letters of the receivers between the hotel and billing (the hotel's inbox of billing's replies, and
 * billing's inbox when it runs in this process): listed for people by `hotel.ServiceDeadLetters`, replayed by
 * `hotel.ReplayDeadLetter`, whose failures are logged in full to `logger` (default: JSON lines on stderr).
 *
 * @example
 * registerDeadLetters(hotel.mediator, link.receivers);
 */
export function registerDeadLetters(
  mediator: Mediator,
  receivers: readonly Receiver[],
  logger: Logger = consoleLogger(),
): Mediator {
  return mediator
    .query(ServiceDeadLetters, async () => {
      const parked = await Promise.all(receivers.map((receiver) => receiver.deadLetters.list(receiver.name)));
      return parked
        .flat()
        .sort((a, b) => a.at - b.at)
        .map(({ id, subscriber, event, attempts, at }) => ({
          id,
          consumer: subscriber,
          type: event.type,
          streamId: event.streamId,
          attempts,
          at,
          problem: `${subscriber} could not take in ${event.type} for ${event.streamId} after ${attempts} attempts (details in the server log)`,
        }));
    })
    .command(ReplayDeadLetter, async ({ id }) => {
      for (const receiver of receivers) {
        try {
          if (await replayDeadLetter(receiver, id)) return;
        } catch (error) {
          logger.error({ err: error, deadLetter: id }, `Dead letter ${id} failed again`);
          throw new DomainError(
            'STILL_FAILING',
            `Dead letter '${id}' failed again; it stays parked (details in the server log)`,
          );
        }
      }
      throw new NotFoundError(`No dead letter '${id}' is parked`);
    });
}
