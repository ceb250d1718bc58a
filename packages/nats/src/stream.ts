import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { InvalidArgumentError, TwofoldError } from '@twofold/core';
import { checkPrefix } from './subjects.js';

/** Options of {@link ensureStream}. */
export interface StreamOptions {
  /** The stream's name: letters, digits, `_` and `-`. */
  readonly name: string;
  /** The stream takes every subject under it: `<prefix>.>`. */
  readonly prefix: string;
  /** How long JetStream remembers a `Nats-Msg-Id` to drop a message published again. Default: 120 000 ms. */
  readonly duplicateWindowMs?: number;
}

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Creates the stream that holds the events published under `prefix`, or updates an existing one of that name to
 * take `<prefix>.>` with the duplicate window given. Bad options fail with INVALID_ARGUMENT before anything is
 * sent; a stream JetStream refuses (its subjects overlap another stream's) fails with INVALID_ARGUMENT quoting
 * the server, and changes nothing.
 *
 * @example
 * await ensureStream(await jetstreamManager(nc), { name: 'HOTEL', prefix: 'hotel.events' });
 */
export async function ensureStream(manager: JetStreamManager, options: StreamOptions): Promise<StreamInfo> {
  const { name, prefix, duplicateWindowMs = 120_000 } = options ?? ({} as StreamOptions);
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidArgumentError(
      `ensureStream: the stream name must be letters, digits, \`_\` and \`-\`; got ${JSON.stringify(name)}`,
    );
  }
  checkPrefix(prefix, `ensureStream ${name}`);
  if (!Number.isSafeInteger(duplicateWindowMs) || duplicateWindowMs < 1) {
    throw new InvalidArgumentError(
      `ensureStream ${name}: duplicateWindowMs must be an integer >= 1; got ${String(duplicateWindowMs)}`,
    );
  }
  const config = { subjects: [`${prefix}.>`], duplicate_window: nanos(duplicateWindowMs) };
  try {
    const exists = await manager.streams.info(name).then(
      () => true,
      (error: unknown) => {
        if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return false;
        throw error;
      },
    );
    return exists ? await manager.streams.update(name, config) : await manager.streams.add({ name, ...config });
  } catch (error) {
    if (error instanceof JetStreamApiError) {
      throw new TwofoldError(
        'INVALID_ARGUMENT',
        `ensureStream ${name}: JetStream refused the stream: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
