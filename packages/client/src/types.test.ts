// Type behaviour users rely on. `tsc --noEmit` (part of `npm test`) checks this file: every
// `@ts-expect-error` below must meet an error, or the type check fails.
import { defineCommand, defineQuery, defineStreamQuery, type GlobalPosition } from '@twofold/core';
import * as v from 'valibot';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  type Client,
  type CommandReceipt,
  createClient,
  isRemoteError,
  type QueuedReceipt,
  type QueuedStatus,
  type RemoteErrorCode,
} from './index.js';

const RoomView = z.object({ roomId: z.string(), price: z.number() });
const BookRoom = defineCommand('hotel.BookRoom', z.object({ roomId: z.string(), nights: z.coerce.number() }), {
  result: z.object({ bookingId: z.string() }),
});
const CancelBooking = defineCommand('hotel.CancelBooking', v.object({ bookingId: v.string() }));
const FreeRooms = defineQuery('hotel.FreeRooms', z.object({ from: z.string() }), z.array(RoomView));
const AllRooms = defineStreamQuery('hotel.AllRooms', z.object({}), RoomView);

const client: Client = createClient({ baseUrl: 'http://127.0.0.1:1', fetch: async () => new Response('{}') });

describe('client types', () => {
  it('infers payloads and results from the definitions', () => {
    expectTypeOf(client.send(BookRoom, { roomId: '1', nights: 2 })).resolves.toEqualTypeOf<{ bookingId: string }>();
    expectTypeOf(client.send(CancelBooking, { bookingId: 'b' })).resolves.toEqualTypeOf<void>();
    expectTypeOf(client.execute(BookRoom, { roomId: '1', nights: 2 })).resolves.toEqualTypeOf<
      CommandReceipt<{ bookingId: string }>
    >();
    expectTypeOf(client.ask(FreeRooms, { from: '2025-01-01' })).resolves.toEqualTypeOf<
      { roomId: string; price: number }[]
    >();
    expectTypeOf(client.stream(AllRooms, {})).toEqualTypeOf<AsyncIterable<{ roomId: string; price: number }>>();
    expectTypeOf(client.live(FreeRooms, { from: 'x' })).toEqualTypeOf<
      AsyncIterable<{ roomId: string; price: number }[]>
    >();
    expectTypeOf(client.position).toEqualTypeOf<GlobalPosition | undefined>();
  });

  it('types a queued command: its payload, and the result waitFor carries', () => {
    const queued = client.enqueue(BookRoom, { roomId: '1', nights: 2 });
    queued.catch(() => {});
    expectTypeOf(queued).resolves.toEqualTypeOf<QueuedReceipt<{ bookingId: string }>>();
    const receipt = { id: 'c1', status: 'queued', location: 'http://127.0.0.1:1/x' } as QueuedReceipt<{
      bookingId: string;
    }>;
    const done = client.waitFor(receipt, { timeoutMs: 0 });
    done.catch(() => {});
    expectTypeOf(done).resolves.toEqualTypeOf<QueuedStatus<{ bookingId: string }>>();
    expectTypeOf(client.waitFor<unknown>)
      .parameter(0)
      .toEqualTypeOf<string | QueuedReceipt<unknown>>();
    // @ts-expect-error the payload is checked as send checks it
    client.enqueue(BookRoom, { roomId: 1 }).catch(() => {});
  });

  it('takes the schema input type, before coercion', () => {
    expectTypeOf(client.send<typeof BookRoom>)
      .parameter(1)
      .toEqualTypeOf<{ roomId: string; nights: unknown }>();
  });

  it('refuses wrong payloads, wrong kinds and plain numbers as positions', () => {
    // @ts-expect-error roomId must be a string
    void client.send(BookRoom, { roomId: 1, nights: 2 });
    // @ts-expect-error a query is not a command
    void client.send(FreeRooms, { from: 'x' });
    // @ts-expect-error a streaming query is read with stream()
    void client.ask(AllRooms, {});
    // @ts-expect-error ask() takes no stream query; stream() takes no plain one
    void client.stream(FreeRooms, { from: 'x' });
    // @ts-expect-error a position is branded: use one the server reported
    void client.ask(FreeRooms, { from: 'x' }, { after: 3 });
  });

  it('narrows errors by code', () => {
    const error: unknown = new Error();
    if (isRemoteError(error, 'DOMAIN_RULE')) {
      expectTypeOf(error.rule).toEqualTypeOf<string>();
      expectTypeOf(error.code).toEqualTypeOf<'DOMAIN_RULE'>();
    }
    if (isRemoteError(error)) {
      expectTypeOf(error.rule).toEqualTypeOf<string | undefined>();
      expectTypeOf(error.code).toEqualTypeOf<RemoteErrorCode>();
    }
  });
});
