import { z } from 'zod';

/** A calendar date, `YYYY-MM-DD`. Stays a string: nights are dates, not instants, and compare as strings. */
export const isoDate = z.iso.date();

/** The most nights one booking or one search may span. */
export const MAX_NIGHTS = 30;

/** How far ahead a room can be booked: the first night at most this many days after today. */
export const MAX_DAYS_AHEAD = 730;

const DAY_MS = 86_400_000;

/** The date `days` after `date`. */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Nights from `from` up to `to` (exclusive): `to` is the day of departure. */
export function nightsBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** Each night's date from `from` up to `to` (exclusive). */
export function eachNight(from: string, to: string): string[] {
  const nights: string[] = [];
  for (let date = from; date < to; date = addDays(date, 1)) nights.push(date);
  return nights;
}

/** True when the stays [a.from, a.to) and [b.from, b.to) share a night. */
export function overlaps(a: { from: string; to: string }, b: { from: string; to: string }): boolean {
  return a.from < b.to && b.from < a.to;
}

/** Today's date in UTC. */
export function today(now: number = Date.now()): string {
  return new Date(now).toISOString().slice(0, 10);
}

/** Refines a `{ from, to }` schema: `to` after `from`, at most {@link MAX_NIGHTS} nights apart. */
export function stay<T extends z.ZodType<{ from: string; to: string }>>(schema: T): T {
  return schema
    .refine((s) => s.to > s.from, { message: 'must be after from', path: ['to'] })
    .refine((s) => s.to <= s.from || nightsBetween(s.from, s.to) <= MAX_NIGHTS, {
      message: `at most ${MAX_NIGHTS} nights`,
      path: ['to'],
    });
}
