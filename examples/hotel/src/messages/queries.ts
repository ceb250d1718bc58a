import { defineQuery } from '@twofold/core';
import { z } from 'zod';
import { isoDate, stay } from '../domain/dates.js';
import { RoomType } from './commands.js';

const id = z.string().trim().min(1).max(64);

export const FreeRoomView = z.object({
  roomId: z.string(),
  number: z.string(),
  type: RoomType,
  pricePerNight: z.number(),
  nights: z.number(),
  total: z.number(),
});
export type FreeRoomView = z.infer<typeof FreeRoomView>;

export const BookingStatus = z.enum(['booked', 'checked-in', 'checked-out', 'cancelled']);

export const BookingView = z.object({
  bookingId: z.string(),
  roomId: z.string(),
  roomNumber: z.string(),
  roomType: z.string(),
  guestId: z.string(),
  from: z.string(),
  to: z.string(),
  nights: z.number(),
  pricePerNight: z.number(),
  total: z.number(),
  status: BookingStatus,
  reason: z.string().nullable(),
  bookedAt: z.number(),
});
export type BookingView = z.infer<typeof BookingView>;

export const RefundView = z.object({
  refundId: z.string(),
  bookingId: z.string(),
  guestId: z.string(),
  amount: z.number(),
  at: z.number(),
});
export type RefundView = z.infer<typeof RefundView>;

export const MailView = z.object({
  mailId: z.string(),
  bookingId: z.string(),
  to: z.string(),
  subject: z.string(),
  body: z.string(),
  at: z.number(),
});
export type MailView = z.infer<typeof MailView>;

export const AlertView = z.object({ alertId: z.string(), bookingId: z.string(), message: z.string(), at: z.number() });
export type AlertView = z.infer<typeof AlertView>;

export const OccupancyView = z.object({
  date: z.string(),
  /** Rooms in the hotel, and how many of them are taken that night. */
  rooms: z.number(),
  occupied: z.number(),
  byRoom: z.array(
    z.object({
      roomId: z.string(),
      number: z.string(),
      type: z.string(),
      status: z.enum(['free', 'booked', 'checked-in', 'checked-out']),
      bookingId: z.string().nullable(),
      guestId: z.string().nullable(),
    }),
  ),
});
export type OccupancyView = z.infer<typeof OccupancyView>;

export const EventView = z.object({
  position: z.number(),
  type: z.string(),
  streamId: z.string(),
  timestamp: z.number(),
  data: z.record(z.string(), z.unknown()),
});
export type EventView = z.infer<typeof EventView>;

export const LagView = z.object({
  projections: z.array(
    z.object({
      name: z.string(),
      state: z.string(),
      position: z.number(),
      head: z.number(),
      lagEvents: z.number(),
      lagMs: z.number(),
      error: z.string().nullable(),
    }),
  ),
  subscribers: z.array(
    z.object({
      name: z.string(),
      running: z.boolean(),
      position: z.number(),
      head: z.number(),
      lagEvents: z.number(),
      deadLetters: z.number(),
      error: z.string().nullable(),
    }),
  ),
});
export type LagView = z.infer<typeof LagView>;

export const FreeRooms = defineQuery(
  'hotel.FreeRooms',
  stay(z.object({ from: isoDate, to: isoDate })),
  z.array(FreeRoomView),
  { description: 'Rooms free for every night from `from` up to `to`, with the price of the stay.' },
);

export const GuestBookings = defineQuery('hotel.GuestBookings', z.object({ guestId: id }), z.array(BookingView), {
  description: "A guest's bookings, the next arrival first.",
});

export const BookingDetails = defineQuery(
  'hotel.BookingDetails',
  z.object({ bookingId: id }),
  BookingView.extend({ refunds: z.array(RefundView), mails: z.array(MailView) }).nullable(),
  { description: 'One booking, with its refunds and the mails sent about it; null when there is none.' },
);

export const Occupancy = defineQuery('hotel.Occupancy', z.object({ date: isoDate }), OccupancyView, {
  description: 'Who sleeps in which room on the night of `date`.',
});

export const GuestMail = defineQuery('hotel.GuestMail', z.object({ guestId: id }), z.array(MailView), {
  description: "The mail outbox's messages to a guest, newest first.",
});

export const ManagementAlerts = defineQuery('hotel.ManagementAlerts', z.object({}), z.array(AlertView), {
  description: 'Alerts sent to management, newest first.',
});

export const RecentEvents = defineQuery(
  'hotel.RecentEvents',
  z.object({ limit: z.int().min(1).max(200).default(50) }),
  z.array(EventView),
  { description: 'The last events in the log, newest first.' },
);

export const ProjectionLag = defineQuery('hotel.ProjectionLag', z.object({}), LagView, {
  description:
    'Each projection and subscriber: its position, its lag and its health. A failure is summarized in `error`; the error itself is only in the server log.',
});
