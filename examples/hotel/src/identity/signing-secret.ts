import { randomBytes } from 'node:crypto';
import { isTwofoldError, TwofoldError, type WriteStore } from '@twofold/core';

const COLLECTION = 'hotel.deployment';
const ID = 'token-signing-secret';

/**
 * The secret the demo sign-in signs tokens with, the same for every process on one database: the first
 * process to start makes 32 random bytes and stores them as a state in the write store; every later start,
 * and every other process, reads them from there. Of two processes starting at once, one stores its secret
 * and the other, refused by the store's version check, reads it. It is never an event, so it appears in no
 * event list.
 *
 * @example
 * const secret = await deploymentSecret(stores.writes);
 */
export async function deploymentSecret(writes: WriteStore): Promise<string> {
  const stored = await load(writes);
  if (stored !== undefined) return stored;
  const secret = randomBytes(32).toString('base64url');
  try {
    await writes.commit({ states: [{ collection: COLLECTION, id: ID, expectedVersion: 0, state: { secret } }] });
    return secret;
  } catch (error) {
    if (!isTwofoldError(error, 'CONCURRENCY_CONFLICT')) throw error;
    const winner = await load(writes);
    if (winner === undefined)
      throw new TwofoldError('CORRUPT_DATA', 'The token-signing secret vanished while it was stored');
    return winner;
  }
}

async function load(writes: WriteStore): Promise<string | undefined> {
  const row = await writes.load(COLLECTION, ID);
  if (row === undefined) return undefined;
  const secret = (row.state as { secret?: unknown } | null)?.secret;
  if (typeof secret !== 'string' || secret.length < 32) {
    throw new TwofoldError(
      'CORRUPT_DATA',
      `The write store holds no valid token-signing secret under ${COLLECTION}/${ID}`,
    );
  }
  return secret;
}
