import { type DocumentReader, type DocumentTx, projection } from '@twofold/core';
import { eachNight, nightsBetween } from '../domain/dates.js';
import {
  BookingCancelled,
  GuestCheckedIn,
  GuestCheckedOut,
  HoldExpired,
  RoomBooked,
  RoomRegistered,
} from '../messages/events.js';
import type { FreeRoomView, OccupancyView } from '../messages/queries.js';

interface RoomRow {
  readonly roomId: string;
  readonly number: string;
  readonly type: FreeRoomView['type'];
  readonly pricePerNight: number;
}

/** One room on one night, while someone holds it (a held booking's nights are `booked` until its hold expires). */
interface NightRow {
  readonly roomId: string;
  readonly date: string;
  readonly bookingId: string;
  readonly guestId: string;
  readonly status: 'booked' | 'checked-in' | 'checked-out';
}

const nightId = (roomId: string, date: string) => `${roomId}/${date}`;

/** Rooms and the nights they are taken: what searching for a room and the occupancy board need. */
export const availability = projection<DocumentTx>('availability')
  .on(RoomRegistered, (room, tx) => tx.collection<RoomRow>('rooms').put(room.roomId, room))
  .on(RoomBooked, ({ roomId, from, to, bookingId, guestId }, tx) => {
    const nights = tx.collection<NightRow>('nights');
    for (const date of eachNight(from, to)) {
      nights.put(nightId(roomId, date), { roomId, date, bookingId, guestId, status: 'booked' });
    }
  })
  .on(BookingCancelled, ({ bookingId }, tx) => freeNights(tx, bookingId))
  .on(HoldExpired, ({ bookingId }, tx) => freeNights(tx, bookingId))
  .on(GuestCheckedIn, async ({ bookingId }, tx) => {
    const nights = tx.collection<NightRow>('nights');
    for (const night of await nights.find({ bookingId })) {
      await nights.update(nightId(night.roomId, night.date), { status: 'checked-in' });
    }
  })
  .on(GuestCheckedOut, async ({ bookingId, on }, tx) => {
    // The nights from the day of departure on are free again; the ones before stay on record.
    const nights = tx.collection<NightRow>('nights');
    for (const night of await nights.find({ bookingId })) {
      const id = nightId(night.roomId, night.date);
      if (night.date >= on) nights.delete(id);
      else await nights.update(id, { status: 'checked-out' });
    }
  });

async function freeNights(tx: DocumentTx, bookingId: string): Promise<void> {
  const nights = tx.collection<NightRow>('nights');
  for (const night of await nights.find({ bookingId })) nights.delete(nightId(night.roomId, night.date));
}

/** Rooms with no night taken from `from` up to `to`, by room number. */
export async function freeRooms(reader: DocumentReader, from: string, to: string): Promise<FreeRoomView[]> {
  const nights = reader.collection<NightRow>('nights');
  const taken = new Set(
    (await Promise.all(eachNight(from, to).map(async (date) => nights.find({ date })))).flat().map((n) => n.roomId),
  );
  const count = nightsBetween(from, to);
  return byNumber(await reader.collection<RoomRow>('rooms').find())
    .filter((room) => !taken.has(room.roomId))
    .map((room) => ({ ...room, nights: count, total: room.pricePerNight * count }));
}

/** Every room on the night of `date`: free, or whose it is. */
export async function occupancy(reader: DocumentReader, date: string): Promise<OccupancyView> {
  const nights = new Map((await reader.collection<NightRow>('nights').find({ date })).map((n) => [n.roomId, n]));
  const byRoom = byNumber(await reader.collection<RoomRow>('rooms').find()).map(({ roomId, number, type }) => {
    const night = nights.get(roomId);
    return {
      roomId,
      number,
      type,
      status: night?.status ?? ('free' as const),
      bookingId: night?.bookingId ?? null,
      guestId: night?.guestId ?? null,
    };
  });
  return { date, rooms: byRoom.length, occupied: byRoom.filter((r) => r.status !== 'free').length, byRoom };
}

function byNumber<T extends { readonly number: string }>(rooms: T[]): T[] {
  return rooms.sort((a, b) => a.number.localeCompare(b.number, 'en', { numeric: true }));
}
