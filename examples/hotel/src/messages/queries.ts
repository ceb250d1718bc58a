import { defineQuery, isDocumentCursor } from '@twofold/core';
import { z } from 'zod';
import { isoDate, stay } from '../domain/dates.js';
import { RoomType } from './commands.js';

const id = z.string().trim().min(1).max(64);

/** How many items a list query answers when the caller does not say, and the most it answers. */
export const PAGE_SIZE = { default: 20, max: 100 } as const;

export const limit = z
  .int()
  .min(1)
  .max(PAGE_SIZE.max)
  .default(PAGE_SIZE.default)
  .describe(`How many items at most: ${PAGE_SIZE.default} unless said, at most ${PAGE_SIZE.max}.`);

/** A page of a list query's answer: its items, and the cursor for the page after it (null after the last). */
export function page<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    next: z.string().nullable().describe('Pass as `cursor` for the page after this one; null on the last page.'),
  });
}

/** The cursor of a list by arrival: the `next` of the page before, as the document store made it. */
const arrivingAfter = z
  .string()
  .max(1024)
  .refine((cursor) => isDocumentCursor(cursor, { field: 'from' }), 'must be the `next` of a page')
  .describe('The `next` of the page before; none for the first page.');

/** The cursor of a newest-first list: the `next` of the page before. */
// A position: the stores read the cursor back as a number, so one past the safe integers is no page's `next`.
const olderThan = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, { message: 'must be the `next` of a page', abort: true })
  .refine((cursor) => Number.isSafeInteger(Number(cursor)), 'must be the `next` of a page')
  .describe('The `next` of the page before; none for the first page.');

export const FreeRoomView = z.object({
  roomId: z.string(),
  number: z.string(),
  type: RoomType,
  pricePerNight: z.number(),
  nights: z.number(),
  total: z.number(),
});
export type FreeRoomView = z.infer<typeof FreeRoomView>;

/** `held` until confirmed (or `expired`); `booked` once confirmed. */
export const BookingStatus = z.enum(['held', 'booked', 'expired', 'checked-in', 'checked-out', 'cancelled']);

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
  /** While `held` (and once `expired`): when the hold ends, in ms since the epoch; null once confirmed. */
  heldUntil: z.number().nullable(),
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

// A subscriber's or a process manager's line of the lag report: both follow the log and park what they give up on.
const BackgroundRunnerView = z.object({
  name: z.string(),
  running: z.boolean(),
  position: z.number(),
  head: z.number(),
  lagEvents: z.number(),
  deadLetters: z.number(),
  error: z.string().nullable(),
});

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
  subscribers: z.array(BackgroundRunnerView),
  processManagers: z.array(BackgroundRunnerView.extend({ nextTimer: z.number().nullable() })),
});
export type LagView = z.infer<typeof LagView>;

export const FreeRooms = defineQuery(
  'hotel.FreeRooms',
  stay(z.object({ from: isoDate, to: isoDate })),
  z.array(FreeRoomView),
  { description: 'Rooms free for every night from `from` up to `to`, with the price of the stay.' },
);

export const GuestBookings = defineQuery(
  'hotel.GuestBookings',
  z.object({ guestId: id, limit, cursor: arrivingAfter.optional() }),
  page(BookingView),
  { description: "A guest's bookings, the earliest arrival first, a page at a time." },
);

export const BookingDetails = defineQuery(
  'hotel.BookingDetails',
  z.object({ bookingId: id }),
  BookingView.extend({ refunds: z.array(RefundView), mails: z.array(MailView) }).nullable(),
  { description: 'One booking, with its refunds and the mails sent about it; null when there is none.' },
);

export const Occupancy = defineQuery('hotel.Occupancy', z.object({ date: isoDate }), OccupancyView, {
  description: 'Who sleeps in which room on the night of `date`.',
});

export const GuestMail = defineQuery(
  'hotel.GuestMail',
  z.object({ guestId: id, limit, cursor: olderThan.optional() }),
  page(MailView),
  { description: "The mail outbox's messages to a guest, newest first, a page at a time." },
);

export const ManagementAlerts = defineQuery(
  'hotel.ManagementAlerts',
  z.object({ limit, cursor: olderThan.optional() }),
  page(AlertView),
  { description: 'Alerts sent to management, newest first, a page at a time.' },
);

export const RecentEvents = defineQuery(
  'hotel.RecentEvents',
  z.object({ limit, cursor: olderThan.optional() }),
  page(EventView),
  { description: 'The events of the log, newest first, a page at a time.' },
);

export const ProjectionLag = defineQuery('hotel.ProjectionLag', z.object({}), LagView, {
  description:
    "Each projection, subscriber and process manager: its position, its lag and its health (and a process manager's dead letters and next timer). A failure is summarized in `error`; the error itself is only in the server log.",
});
