// A restart on the same SQLite files: the read models, side effects and the cancellation's process resume from
// their checkpoints, so nothing is applied or sent twice, and seeding again writes nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { addDays } from '../../src/domain/dates.js';
import { BookRoom, CancelBooking, ConfirmBooking } from '../../src/messages/commands.js';
import { BookingDetails, GuestBookings, GuestMail, ManagementAlerts } from '../../src/messages/queries.js';
import { as, cancellationCompleted, startHotel, TODAY } from './setup.js';

const dataDir = mkdtempSync(join(tmpdir(), 'twofold-hotel-restart-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('keeps bookings, refunds and mails across a restart, with no duplicates', async () => {
  const first = await startHotel({ dataDir });
  const { mediator } = first.hotel;
  const manager = as('test-manager', 'manager');
  await mediator.send(
    BookRoom,
    { bookingId: 'r1', roomId: '101', guestId: 'vera', from: addDays(TODAY, 3), to: addDays(TODAY, 4) },
    manager,
  );
  await mediator.send(ConfirmBooking, { bookingId: 'r1' }, manager);
  await mediator.send(CancelBooking, { bookingId: 'r1', reason: '' }, manager);
  await cancellationCompleted(first, 'r1');
  const position = await first.stores.writes.head();
  const before = {
    details: await mediator.ask(BookingDetails, { bookingId: 'r1' }, { ...manager, after: position }),
    alerts: await mediator.ask(ManagementAlerts, {}, { ...manager, after: position }),
    head: await first.stores.writes.head(),
  };
  expect(before.details?.refunds).toHaveLength(1);
  expect(before.details?.mails).toHaveLength(2);
  await first.close();

  const second = await startHotel({ dataDir });
  try {
    const again = second.hotel.mediator;
    expect(await second.stores.writes.head()).toBe(before.head);
    expect(await second.stores.processes.instance('hotel.cancellation', 'r1')).toMatchObject({ closed: true });
    const after = { ...manager, after: before.head };
    expect(await again.ask(BookingDetails, { bookingId: 'r1' }, after)).toEqual(before.details);
    expect(await again.ask(ManagementAlerts, {}, after)).toEqual(before.alerts);
    expect((await again.ask(GuestMail, { guestId: 'vera' }, after)).items).toHaveLength(2);
    expect((await again.ask(GuestBookings, { guestId: 'vera' }, after)).items.map((b) => b.status)).toEqual([
      'cancelled',
    ]);
  } finally {
    await second.close();
  }
});
