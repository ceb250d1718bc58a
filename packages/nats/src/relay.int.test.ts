import { headers } from '@nats-io/transport-node';
import { isTwofoldError } from '@twofold/core';
import { describe, expect, it } from 'vitest';
import { useNats } from '../tests/nats.js';
import { book, dying, quiet, useSqlite } from '../tests/setup.js';
import { ensureStream, NATS_HEADERS, natsOutbox, natsRelay } from './index.js';

const nats = useNats();
const open = useSqlite();

describe('natsRelay', () => {
  it('publishes each outbox row on <prefix>.<type> with the event id as Nats-Msg-Id and the Twofold headers', async () => {
    const { js, jsm } = await nats.connect();
    const { stream, prefix } = nats.names();
    await ensureStream(jsm, { name: stream, prefix });
    const db = open();
    const trace = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const [event] = await book(db, ['b1'], { correlationId: 'corr-1', causationId: 'cmd-1', traceparent: trace });
    const relay = natsRelay({ outbox: db.outbox, jetstream: js, prefix, stream, logger: quiet });
    expect(await relay.drain()).toBe(1);
    expect(await db.outbox.claim(10, 60_000)).toEqual([]);

    const stored = await jsm.streams.getMessage(stream, { seq: 1 });
    expect(stored?.subject).toBe(`${prefix}.hotel.RoomBooked`);
    const h = stored?.header;
    expect([
      h?.get('Nats-Msg-Id'),
      h?.get(NATS_HEADERS.type),
      h?.get(NATS_HEADERS.position),
      h?.get(NATS_HEADERS.correlationId),
      h?.get(NATS_HEADERS.causationId),
      h?.get(NATS_HEADERS.traceparent),
    ]).toEqual([event?.id, 'hotel.RoomBooked', String(event?.position), 'corr-1', 'cmd-1', trace]);
    expect(stored?.json()).toMatchObject({ streamId: 'booking-b1', streamVersion: 1, data: { bookingId: 'b1' } });
  });

  it('with feed, publishes each commit as soon as it lands, without waiting for the poll', async () => {
    const { js, jsm } = await nats.connect();
    const { stream, prefix } = nats.names();
    await ensureStream(jsm, { name: stream, prefix });
    const db = open();
    // A poll far beyond the test's timeout: only the feed's wake-up can make the relay look again.
    const relay = natsRelay({
      outbox: db.outbox,
      feed: db.events,
      jetstream: js,
      prefix,
      stream,
      pollIntervalMs: 3_600_000,
      logger: quiet,
    });
    relay.start();
    try {
      for (const [n, id] of ['b1', 'b2'].entries()) {
        await book(db, [id]);
        await expect.poll(async () => (await jsm.streams.info(stream)).state.messages).toBe(n + 1);
      }
    } finally {
      await relay.stop();
    }
  });

  it('leaves out the correlation, causation and trace headers an event has no metadata for', async () => {
    const { js, jsm } = await nats.connect();
    const { stream, prefix } = nats.names();
    await ensureStream(jsm, { name: stream, prefix });
    const db = open();
    await book(db, ['b1']);
    await natsRelay({ outbox: db.outbox, jetstream: js, prefix, stream, logger: quiet }).drain();
    const keys = (await jsm.streams.getMessage(stream, { seq: 1 }))?.header?.keys() ?? [];
    expect(keys.filter((k) => k.startsWith('Twofold') || k === 'traceparent').sort()).toEqual([
      NATS_HEADERS.type,
      NATS_HEADERS.position,
    ]);
  });

  it('has JetStream drop a message published again with the same Nats-Msg-Id', async () => {
    const { js, jsm } = await nats.connect();
    const { stream, prefix } = nats.names();
    await ensureStream(jsm, { name: stream, prefix });
    const first = await js.publish(`${prefix}.hotel.RoomBooked`, '{}', { msgID: 'e1', headers: headers() });
    const again = await js.publish(`${prefix}.hotel.RoomBooked`, '{}', { msgID: 'e1' });
    expect([first.duplicate, again.duplicate, again.seq]).toEqual([false, true, first.seq]);
    expect((await jsm.streams.info(stream)).state.messages).toBe(1);
  });

  it('publishes again after dying between the acks and the rows, and JetStream keeps one copy of each', async () => {
    const { js, jsm } = await nats.connect();
    const { stream, prefix } = nats.names();
    await ensureStream(jsm, { name: stream, prefix });
    const db = open();
    await book(db, ['b1', 'b2', 'b3']);
    const { outbox } = db;
    const crashed = natsRelay({ outbox: dying(outbox), jetstream: js, prefix, stream, leaseMs: 1, logger: quiet });
    await expect(crashed.drain()).rejects.toThrow('the relay process died');
    expect((await jsm.streams.info(stream)).state.messages).toBe(3);

    const restarted = natsRelay({ outbox, jetstream: js, prefix, stream, logger: quiet });
    expect(await restarted.drain()).toBe(3);
    expect((await jsm.streams.info(stream)).state.messages).toBe(3);
    expect(await outbox.claim(10, 60_000)).toEqual([]);
  });

  it('keeps a row whose message JetStream did not take in the stream named, and retries it', async () => {
    const { js, jsm } = await nats.connect();
    const { stream, prefix } = nats.names();
    const db = open();
    const [event] = await book(db, ['b1']);
    // No stream takes the subject yet.
    const relay = natsRelay({ outbox: db.outbox, jetstream: js, prefix, stream, maxAttempts: 2, logger: quiet });
    expect(await relay.drain()).toBe(0);
    expect(await db.outbox.parked()).toEqual([]);
    // Another stream takes it.
    await ensureStream(jsm, { name: `${stream}_other`, prefix });
    await db.outbox.retry(event!.id); // due now rather than after the backoff
    expect(await relay.drain()).toBe(0);
    const [parked] = await db.outbox.parked();
    expect([parked?.topic, parked?.attempts]).toEqual(['hotel.RoomBooked', 2]);
    expect(parked?.lastError).toContain('expected stream does not match');
    expect((await jsm.streams.info(`${stream}_other`)).state.messages).toBe(0);
  });

  it('refuses a bad prefix, stream or client, naming what is wrong', () => {
    const db = open();
    const options = { outbox: db.outbox, jetstream: {} as never, prefix: 'ok', stream: 'S', logger: quiet };
    for (const prefix of ['', 'a..b', 'a.', 'a.*', 'a.>', 'a b', '$JS.api', 'é']) {
      expect(() => natsRelay({ ...options, prefix }), prefix).toThrow(
        `natsRelay: the subject prefix must be dot-separated tokens of letters, digits, \`_\` and \`-\`, none empty (no spaces, \`*\`, \`>\` or \`$\`); got ${JSON.stringify(prefix)}`,
      );
    }
    expect(() => natsRelay(options)).toThrow('natsRelay: options.jetstream must be a JetStream client');
  });

  it('fails a commit whose event type cannot be a subject, writing nothing', async () => {
    const db = open();
    const { streamId } = await import('@twofold/core');
    const commit = db.events.commit({
      appends: [
        { streamId: streamId('b', 1), expectedVersion: 'any', events: [{ type: 'hotel.Room Booked', data: {} }] },
      ],
      participants: [natsOutbox(db.outbox)],
    });
    const error = await commit.catch((e: unknown) => e);
    expect(isTwofoldError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(String(error)).toContain('Event type "hotel.Room Booked" cannot be a NATS subject');
    expect(await db.events.head()).toBe(0);
    expect(await db.outbox.claim(10, 60_000)).toEqual([]);
  });
});

describe('ensureStream', () => {
  it('creates the stream over <prefix>.>, then updates its duplicate window', async () => {
    const { jsm } = await nats.connect();
    const { stream, prefix } = nats.names();
    const created = await ensureStream(jsm, { name: stream, prefix });
    expect([created.config.subjects, created.config.duplicate_window]).toEqual([[`${prefix}.>`], 120_000_000_000]);
    const updated = await ensureStream(jsm, { name: stream, prefix, duplicateWindowMs: 5_000 });
    expect(updated.config.duplicate_window).toBe(5_000_000_000);
  });

  it('refuses bad options before sending anything, and a stream JetStream refuses with its reason', async () => {
    const { jsm } = await nats.connect();
    const { stream, prefix } = nats.names();
    await expect(ensureStream(jsm, { name: 'a.b', prefix })).rejects.toThrow(
      'ensureStream: the stream name must be letters, digits, `_` and `-`; got "a.b"',
    );
    await expect(ensureStream(jsm, { name: stream, prefix: 'a.*' })).rejects.toThrow(
      `ensureStream ${stream}: the subject prefix must be`,
    );
    await expect(ensureStream(jsm, { name: stream, prefix, duplicateWindowMs: 0 })).rejects.toThrow(
      `ensureStream ${stream}: duplicateWindowMs must be an integer >= 1; got 0`,
    );
    await ensureStream(jsm, { name: stream, prefix });
    const overlap = await ensureStream(jsm, { name: `${stream}_2`, prefix }).catch((e: unknown) => e);
    expect(isTwofoldError(overlap, 'INVALID_ARGUMENT')).toBe(true);
    expect(String(overlap)).toContain(`ensureStream ${stream}_2: JetStream refused the stream: subjects overlap`);
    await expect(jsm.streams.info(`${stream}_2`)).rejects.toThrow(/stream not found/);
  });
});
