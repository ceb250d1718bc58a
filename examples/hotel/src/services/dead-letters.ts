import {
  compareDeadLetters,
  consoleLogger,
  type DeadLetter,
  DomainError,
  defineCommand,
  defineQuery,
  isTwofoldError,
  type Logger,
  type Mediator,
  NotFoundError,
  type DeadLetterPage as StorePage,
} from '@twofold/core';
import { z } from 'zod';
import { limit, page } from '../messages/queries.js';
import { type Receiver, replayDeadLetter } from './transport.js';

/** How long the hotel waits for billing in its own process to answer for its dead letters. */
export const ANSWER_TIMEOUT_MS = 2000;
const unanswered = `503 UNAVAILABLE, naming billing, when billing in its own process does not answer within ${ANSWER_TIMEOUT_MS / 1000} s.`;

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

// A page's `next`: the time and the id of its last letter.
const CURSOR = /^([0-9]{1,15}):(.{1,300})$/s;

export const ServiceDeadLetters = defineQuery(
  'hotel.ServiceDeadLetters',
  z.object({
    limit,
    cursor: z
      .string()
      .regex(CURSOR, 'must be the `next` of a page')
      .optional()
      .describe('The `next` of the page before; none for the first page.'),
  }),
  page(DeadLetterView),
  {
    description: `The events between the hotel and billing that their receiver could not take in after its deliveries, parked, oldest first, a page at a time: the hotel's own and billing's, whether billing runs in the hotel's process or in its own over NATS. What and where in \`problem\`, with the fields whose values did not match the event's schema; any other error is only in the server log of the side that parked it. ${unanswered}`,
  },
);

export const ReplayDeadLetter = defineCommand(
  'hotel.ReplayDeadLetter',
  z.object({ id: z.string().trim().min(1).max(300) }),
  {
    description: `Runs a parked event of hotel.ServiceDeadLetters again, once its cause is fixed, and removes it when it took effect; billing's are run by billing, in the hotel's process or in its own over NATS. 404 when no such dead letter is parked; 422 STILL_FAILING when it fails again: it stays parked, with one more attempt, and the error goes to the server log of the side that parked it; ${unanswered}`,
  },
);

/**
 * The dead letters of one receiver between the hotel and billing, wherever they are kept: in this process's
 * stores ({@link localDeadLetters}), or in billing's own process, asked over NATS (`askDeadLetters`).
 */
export interface DeadLetterSource {
  /** The receiver whose dead letters these are: `hotel` or `billing`. */
  readonly consumer: string;
  /**
   * Its parked dead letters, oldest first: at most `limit` of those after `after`, and whether more follow them.
   * Rejects with UNAVAILABLE when their keeper does not answer.
   */
  list(page: DeadLetterPage): Promise<{ readonly letters: readonly DeadLetterView[]; readonly more: boolean }>;
  /**
   * Runs dead letter `id` again and removes it once it took effect: false when none such is parked. Rejects when
   * it fails again (it stays parked, one attempt more), or with UNAVAILABLE when its keeper does not answer.
   */
  replay(id: string): Promise<boolean>;
}

/**
 * Which dead letters a {@link DeadLetterSource} lists: at most `limit` of those after `after` (the `{ at, id }` of
 * the last letter of the page before), in the order of `compareDeadLetters`.
 */
export interface DeadLetterPage extends StorePage {
  readonly limit: number;
}

// The first `limit` of `letters`, given in any order, oldest first (as every dead-letter store lists them), and
// whether more follow.
function firstOf(letters: readonly DeadLetterView[], limit: number) {
  const sorted = letters.toSorted(compareDeadLetters);
  return { letters: sorted.slice(0, limit), more: sorted.length > limit };
}

// The first line of a parked ValidationError, as describeError stored it: `ValidationError: Invalid data for
// hotel.RefundRequested: amount: Invalid input…`. Its issues name fields and say what the schema expected, in the
// schema's words and without the values, so they can be shown; any other error may quote a database or a driver.
const INVALID = /^ValidationError: Invalid [a-z ]+ for [^:]+: (.+)$/;

/**
 * How a manager sees a dead letter: what could not take in what, where, how often, and, when the event's data did
 * not match its schema, which fields; other errors are left to the server log.
 *
 * @example
 * viewOf(letter).problem; // 'billing could not take in hotel.RefundRequested for … after 5 attempts: amount: …'
 */
export function viewOf(letter: DeadLetter): DeadLetterView {
  const { id, subscriber, event, attempts, at } = letter;
  const invalid = INVALID.exec(letter.error.split('\n', 1)[0] ?? '')?.[1];
  const what = `${subscriber} could not take in ${event.type} for ${event.streamId} after ${attempts} attempts`;
  return {
    id,
    consumer: subscriber,
    type: event.type,
    streamId: event.streamId,
    attempts,
    at,
    problem:
      invalid === undefined
        ? `${what} (details in the server log)`
        : `${what}: its data does not match the event's schema: ${invalid}`,
  };
}

/**
 * The dead letters `receiver` parked in this process's stores, a page read from its store at a time (one letter
 * more than the page, to know whether more follow), and replayed through its inbox.
 *
 * @example
 * const sources = [localDeadLetters(billingReplies(stores)), localDeadLetters(billing.receiver)];
 */
export function localDeadLetters(receiver: Receiver): DeadLetterSource {
  return {
    consumer: receiver.name,
    list: async ({ after, limit }) => {
      const letters = await receiver.deadLetters.list(receiver.name, { after, limit: limit + 1 });
      return { letters: letters.slice(0, limit).map(viewOf), more: letters.length > limit };
    },
    replay: (id) => replayDeadLetter(receiver, id),
  };
}

/**
 * The dead letters of the receivers between the hotel and billing (the hotel's inbox of billing's replies, and
 * billing's inbox, in this process or in billing's own): listed for people by `hotel.ServiceDeadLetters`, replayed
 * by `hotel.ReplayDeadLetter`, whose failures are logged in full to `logger` (default: JSON lines on stderr).
 *
 * @example
 * registerDeadLetters(hotel.mediator, link.deadLetters);
 */
export function registerDeadLetters(
  mediator: Mediator,
  sources: readonly DeadLetterSource[],
  logger: Logger = consoleLogger(),
): Mediator {
  return mediator
    .query(ServiceDeadLetters, async ({ limit, cursor }) => {
      const at = cursor === undefined ? null : CURSOR.exec(cursor);
      const after = at === null ? undefined : { at: Number(at[1]), id: at[2]! };
      const pages = await Promise.all(sources.map((source) => source.list({ after, limit })));
      const merged = firstOf(
        pages.flatMap((answer) => answer.letters),
        limit,
      );
      const last = merged.letters[merged.letters.length - 1];
      const more = merged.more || pages.some((answer) => answer.more);
      return { items: [...merged.letters], next: more && last !== undefined ? `${last.at}:${last.id}` : null };
    })
    .command(ReplayDeadLetter, async ({ id }) => {
      for (const source of sources) {
        try {
          if (await source.replay(id)) return;
        } catch (error) {
          if (isTwofoldError(error, 'UNAVAILABLE')) throw error;
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
