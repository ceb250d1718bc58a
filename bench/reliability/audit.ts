// What a run left in the hotel's stores, checked against what the server acknowledged: every acknowledged
// command at its exact position, each event's side effects exactly once, and no room-night booked twice.
import { join } from 'node:path';
import { type GlobalPosition, type RecordedEvent, START } from '@twofold/core';
import { sqlite } from '@twofold/sqlite';
import { createStores, type Stores, type StoresConfig } from '../../examples/hotel/src/app/stores.js';
import { eachNight } from '../../examples/hotel/src/domain/dates.js';
import type { Effects } from '../../examples/hotel/src/effects/effect-store.js';

/** A command the server answered 2xx, with the position it answered. */
export interface Acknowledged {
  readonly type: 'hotel.RoomBooked' | 'hotel.BookingConfirmed' | 'hotel.BookingCancelled';
  readonly bookingId: string;
  readonly position: number;
  /** The fields the event must carry, beyond the booking id. */
  readonly data: Readonly<Record<string, string>>;
}

/** What is wrong, one line per finding. */
export interface Audit {
  readonly events: number;
  /** Acknowledged commands missing from their position, or different there. */
  readonly lost: readonly string[];
  /** A booking booked, confirmed, expired or cancelled twice, a refund, mail or alert missing or sent twice. */
  readonly duplicates: readonly string[];
  /** Two bookings holding one room for one night. */
  readonly overlaps: readonly string[];
}

type Data = Readonly<Record<string, unknown>>;

/**
 * Audits the hotel's stores once its read side has caught up and its process has stopped.
 *
 * @example
 * const audit = await auditHotel(target.config, acknowledged);
 * expect(audit.lost).toEqual([]);
 */
export async function auditHotel(config: StoresConfig, acknowledged: readonly Acknowledged[]): Promise<Audit> {
  const stores = await createStores(config);
  try {
    const events: RecordedEvent[] = [];
    for (let after: GlobalPosition = START; ; ) {
      const page = await stores.writes.readAll(after, 1000);
      if (page.length === 0) break;
      events.push(...page);
      after = page.at(-1)!.position;
    }
    const effects = {
      billed: await billedRefunds(config),
      refunds: await everyRecord(stores, 'refunds'),
      mails: await everyRecord(stores, 'mails'),
      alerts: await everyRecord(stores, 'alerts'),
    };
    return {
      events: events.length,
      lost: lostAcknowledgements(events, acknowledged),
      duplicates: duplicateEffects(events, effects),
      overlaps: overlappingNights(events),
    };
  } finally {
    await stores.close();
  }
}

// The effect store answers a page at a time: follow the cursor to the last.
async function everyRecord<K extends keyof Effects>(stores: Stores, kind: K): Promise<Effects[K][]> {
  const records: Effects[K][] = [];
  for (let before: string | undefined; ; ) {
    const page = await stores.effects.list(kind, {}, { limit: 1000, before });
    records.push(...page.items);
    if (page.next === null) return records;
    before = page.next;
  }
}

function lostAcknowledgements(events: readonly RecordedEvent[], acknowledged: readonly Acknowledged[]): string[] {
  const at = new Map(events.map((event) => [Number(event.position), event]));
  const lost: string[] = [];
  for (const ack of acknowledged) {
    const event = at.get(ack.position);
    const data = event?.data as Data | undefined;
    const expected = { bookingId: ack.bookingId, ...ack.data };
    const same = event?.type === ack.type && Object.entries(expected).every(([key, value]) => data?.[key] === value);
    if (!same) {
      const found = event === undefined ? 'nothing' : `${event.type} ${JSON.stringify(event.data)}`;
      lost.push(`${ack.type} ${JSON.stringify(expected)} acknowledged at ${ack.position}, found ${found}`);
    }
  }
  return lost;
}

/** The bookings billing refunded, one entry per `billing.RefundIssued` in billing's own file. */
export async function billedRefunds(config: StoresConfig): Promise<string[]> {
  if (config.dataDir === undefined) throw new Error('The audit needs the data directory, where billing.db is');
  const billing = sqlite(join(config.dataDir, 'billing.db'));
  try {
    const refunded: string[] = [];
    for (let after: GlobalPosition = START; ; ) {
      const page = await billing.events.readAll(after, 1000);
      if (page.length === 0) return refunded;
      for (const event of page) {
        if (event.type === 'billing.RefundIssued') refunded.push(String((event.data as Data).bookingId));
      }
      after = page.at(-1)!.position;
    }
  } finally {
    await billing.close();
  }
}

function duplicateEffects(
  events: readonly RecordedEvent[],
  effects: {
    readonly billed: readonly string[];
    readonly refunds: readonly { bookingId: string }[];
    readonly mails: readonly { bookingId: string; subject: string }[];
    readonly alerts: readonly { bookingId: string }[];
  },
): string[] {
  const count = (items: readonly string[]) => {
    const counts = new Map<string, number>();
    for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
    return counts;
  };
  const of = (type: string) => events.filter((e) => e.type === type).map((e) => (e.data as Data).bookingId as string);
  const booked = count(of('hotel.RoomBooked'));
  // Booked without a hold (before holds), or confirmed: each is mailed one confirmation.
  const confirmed = count([
    ...events
      .filter((e) => e.type === 'hotel.RoomBooked' && (e.data as Data).heldUntil === undefined)
      .map((e) => (e.data as Data).bookingId as string),
    ...of('hotel.BookingConfirmed'),
  ]);
  const expired = count(of('hotel.HoldExpired'));
  const cancelled = count(of('hotel.BookingCancelled'));
  const refunds = count(effects.refunds.map((r) => r.bookingId));
  const billed = count(effects.billed);
  const alerts = count(effects.alerts.map((a) => a.bookingId));
  const confirmations = count(effects.mails.filter((m) => m.subject.endsWith(': confirmed')).map((m) => m.bookingId));
  const notices = count(effects.mails.filter((m) => m.subject.endsWith(': cancelled')).map((m) => m.bookingId));
  const expiries = count(effects.mails.filter((m) => m.subject.endsWith(': hold expired')).map((m) => m.bookingId));
  const found: string[] = [];
  const expect = (what: string, counts: Map<string, number>, wanted: Map<string, number>) => {
    for (const id of new Set([...counts.keys(), ...wanted.keys()])) {
      const n = counts.get(id) ?? 0;
      const w = wanted.get(id) ?? 0;
      if (n !== w) found.push(`${id}: ${n} ${what}, expected ${w}`);
    }
  };
  const once = (ids: Map<string, number>) => new Map([...ids.keys()].map((id) => [id, 1]));
  expect('RoomBooked events', booked, once(booked));
  expect('BookingCancelled events', cancelled, once(cancelled));
  expect('BookingConfirmed or unheld RoomBooked events', confirmed, once(confirmed));
  expect('HoldExpired events', expired, once(expired));
  expect('confirmation mails', confirmations, once(confirmed));
  expect('hold expiry mails', expiries, once(expired));
  expect('refunds', refunds, once(cancelled));
  expect('refunds issued by billing', billed, once(cancelled));
  expect('cancellation mails', notices, once(cancelled));
  expect('management alerts', alerts, once(cancelled));
  return found;
}

function overlappingNights(events: readonly RecordedEvent[]): string[] {
  const held = new Map<string, string>();
  const overlaps: string[] = [];
  for (const event of events) {
    const data = event.data as Data;
    const bookingId = String(data.bookingId);
    if (event.type === 'hotel.RoomBooked') {
      for (const night of eachNight(String(data.from), String(data.to))) {
        const key = `${String(data.roomId)}/${night}`;
        const holder = held.get(key);
        if (holder !== undefined)
          overlaps.push(`room ${String(data.roomId)}, night ${night}: ${holder} and ${bookingId}`);
        else held.set(key, bookingId);
      }
    } else if (
      event.type === 'hotel.BookingCancelled' ||
      event.type === 'hotel.HoldExpired' ||
      event.type === 'hotel.GuestCheckedOut'
    ) {
      // As in the room's calendar: a cancelled, expired or checked-out booking holds no night any more.
      for (const [key, holder] of held) if (holder === bookingId) held.delete(key);
    }
  }
  return overlaps;
}
