import { connect, type Msg, type NatsConnection, RequestError } from '@nats-io/transport-node';
import { consoleLogger, type Logger, UnavailableError } from '@twofold/core';
import { z } from 'zod';
import { PAGE_SIZE } from '../messages/queries.js';
import { ANSWER_TIMEOUT_MS, type DeadLetterSource, DeadLetterView, localDeadLetters } from './dead-letters.js';
import type { Receiver } from './transport.js';

// Core NATS request/reply, beside JetStream's streams (whose subjects are `<side>.events.>`): a side's dead letters
// stay in its own database, and only the side that parked them can replay them through its inbox.
const subjects = (consumer: string) => ({
  list: `${consumer}.dead-letters.list`,
  replay: `${consumer}.dead-letters.replay`,
});

const ReplayRequest = z.object({ id: z.string().min(1).max(300) });
// A page at a time: a NATS reply is limited in size (1 MB by default), and the letters parked are not.
const ListRequest = z.object({
  after: z.object({ at: z.int().min(0), id: z.string().min(1).max(300) }).optional(),
  limit: z.int().min(1).max(PAGE_SIZE.max),
});
const ListAnswer = z.object({ letters: z.array(DeadLetterView).max(PAGE_SIZE.max), more: z.boolean() });
const ReplayAnswer = z.object({ outcome: z.enum(['replayed', 'not-parked', 'still-failing']) });
const Refusal = z.object({ refused: z.string() });

function bodyOf(message: Msg): unknown {
  try {
    return message.json();
  } catch {
    return undefined;
  }
}

/**
 * Answers requests over `nc` for the dead letters `receiver` parked: their list, a page at a time read from its
 * store (see {@link localDeadLetters}), and the replay of one, which runs here, through `receiver`'s inbox; a replay
 * that fails again is logged in full to `logger` and answered `still-failing`, without the error. Resolves once the
 * subscriptions are in place; `stop()` drains them and waits for the answers under way, so that the connection may
 * close once it resolves.
 *
 * @example
 * const answering = await answerDeadLetters(nc, billing.receiver);
 * await answering.stop();
 */
export async function answerDeadLetters(
  nc: NatsConnection,
  receiver: Receiver,
  logger: Logger = consoleLogger(),
): Promise<{ stop(): Promise<void> }> {
  const source = localDeadLetters(receiver);
  const { list, replay } = subjects(receiver.name);
  // The answers under way: stop() waits for them, so that none is sent on a connection closed meanwhile.
  const answering = new Set<Promise<void>>();
  const answer = async (message: Msg, work: () => Promise<unknown>) => {
    try {
      message.respond(JSON.stringify(await work()));
      return;
    } catch (error) {
      logger.error({ err: error, consumer: receiver.name }, `${receiver.name} could not answer on ${message.subject}`);
    }
    try {
      message.respond(JSON.stringify({ refused: `${receiver.name} could not read its dead letters` }));
    } catch (error) {
      logger.error({ err: error, consumer: receiver.name }, `${receiver.name} could not refuse on ${message.subject}`);
    }
  };
  const respond = (message: Msg, work: () => Promise<unknown>) => {
    const answered = answer(message, work).finally(() => answering.delete(answered));
    answering.add(answered);
  };
  const replayOne = async (message: Msg) => {
    const request = ReplayRequest.safeParse(bodyOf(message));
    if (!request.success) return { refused: `${replay} takes {"id": "<dead letter id>"}` };
    const { id } = request.data;
    try {
      return { outcome: (await source.replay(id)) ? 'replayed' : 'not-parked' };
    } catch (error) {
      logger.error({ err: error, deadLetter: id }, `Dead letter ${id} failed again`);
      return { outcome: 'still-failing' };
    }
  };
  const listPage = async (message: Msg) => {
    const request = ListRequest.safeParse(bodyOf(message));
    if (!request.success) {
      return { refused: `${list} takes {"limit": 1 to ${PAGE_SIZE.max}, "after"?: {"at", "id"} of a letter}` };
    }
    return source.list(request.data);
  };
  const subscriptions = [
    nc.subscribe(list, { callback: (_, message) => respond(message, () => listPage(message)) }),
    nc.subscribe(replay, { callback: (_, message) => respond(message, () => replayOne(message)) }),
  ];
  await nc.flush();
  return {
    stop: async () => {
      await Promise.all(subscriptions.map((subscription) => subscription.drain()));
      while (answering.size > 0) await Promise.all(answering);
    },
  };
}

/**
 * The dead letters of `consumer` in a process of its own, asked over `nc` (see {@link answerDeadLetters}). A
 * request it does not answer within `timeoutMs` (its process stuck, or on another NATS server) rejects with
 * UNAVAILABLE naming it, at once when no process of it listens on the NATS server, and so do its refusal and an
 * answer that cannot be read; a replay it runs and that fails again rejects, the error being in its log.
 *
 * @example
 * registerDeadLetters(mediator, [localDeadLetters(replies), askDeadLetters(nc, 'billing')]);
 */
export function askDeadLetters(
  nc: Pick<NatsConnection, 'request'>,
  consumer: string,
  timeoutMs: number = ANSWER_TIMEOUT_MS,
): DeadLetterSource {
  const { list, replay } = subjects(consumer);
  async function ask<T>(subject: string, request: unknown, answer: z.ZodType<T>): Promise<T> {
    let reply: Msg;
    try {
      reply = await nc.request(subject, JSON.stringify(request), { timeout: timeoutMs });
    } catch (error) {
      if (error instanceof RequestError && error.isNoResponders()) {
        throw new UnavailableError(
          `${consumer} does not answer for its dead letters: no process of it listens on this NATS server`,
          { cause: error },
        );
      }
      throw new UnavailableError(
        `${consumer} did not answer for its dead letters within ${timeoutMs} ms: is its process running, on this NATS server?`,
        { cause: error },
      );
    }
    const body = bodyOf(reply);
    const refusal = Refusal.safeParse(body);
    if (refusal.success) throw new UnavailableError(`${refusal.data.refused} (details in its log)`);
    const answered = answer.safeParse(body);
    // What another version of it (or another process on its subjects) answers is no bug of this one's: it is
    // unavailable to this one.
    if (!answered.success) {
      throw new UnavailableError(
        `${consumer} answered ${subject} with a body this process cannot read: ${z.prettifyError(answered.error)}`,
      );
    }
    return answered.data;
  }
  return {
    consumer,
    list: (page) => ask(list, page, ListAnswer),
    replay: async (id) => {
      const { outcome } = await ask(replay, { id }, ReplayAnswer);
      if (outcome === 'still-failing')
        throw new Error(`Dead letter ${id} failed again in ${consumer} (details in its log)`);
      return outcome === 'replayed';
    },
  };
}

/**
 * {@link askDeadLetters} on a connection of its own to the NATS server at `url`, for a process that runs no
 * transport (a worker process). It connects at its first request, so the process starts while NATS is down (a
 * request then rejects with UNAVAILABLE, and the next one connects again); `close()` closes the connection.
 *
 * @example
 * const billing = connectDeadLetters('nats://127.0.0.1:4222', 'billing');
 */
export function connectDeadLetters(
  url: string,
  consumer: string,
): { readonly source: DeadLetterSource; close(): Promise<void> } {
  let connecting: Promise<NatsConnection> | undefined;
  const connection = () => {
    const attempt = connecting ?? connect({ servers: url, maxReconnectAttempts: -1 });
    connecting = attempt;
    attempt.catch(() => {
      if (connecting === attempt) connecting = undefined;
    });
    return attempt;
  };
  return {
    source: askDeadLetters({ request: async (...request) => (await connection()).request(...request) }, consumer),
    close: async () => {
      const nc = await connecting?.catch(() => undefined);
      await nc?.close();
    },
  };
}
